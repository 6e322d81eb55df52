using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Session;

namespace S3Replication.Diagnostics;

/// <summary>A role's identity-based policies as IAM holds them, ready for <see cref="PolicyEvaluator.EvaluateIdentity"/>.</summary>
internal static class RolePolicies
{
    /// <summary>
    /// The inline policies (named "inline policy &lt;name&gt;") and then the attached managed policies (named by ARN, at
    /// their default version). One request at a time: a role holds few policies, and IAM throttles bursts.
    /// </summary>
    public static async Task<IReadOnlyList<IamPolicyDocument>> ReadAsync(IamClient iam, string roleName, CancellationToken cancellationToken)
    {
        var policies = new List<IamPolicyDocument>();
        foreach (var name in await iam.ListRolePolicyNamesAsync(roleName, cancellationToken).ConfigureAwait(false))
        {
            var document = await iam.GetRolePolicyDocumentAsync(roleName, name, cancellationToken).ConfigureAwait(false);
            policies.Add(IamPolicyDocument.Parse(document, $"inline policy {name}"));
        }
        foreach (var (_, arn) in await iam.ListAttachedRolePoliciesAsync(roleName, cancellationToken).ConfigureAwait(false))
        {
            var document = await iam.GetPolicyDefaultVersionAsync(arn, cancellationToken).ConfigureAwait(false);
            policies.Add(IamPolicyDocument.Parse(document, arn));
        }
        return policies;
    }
}
