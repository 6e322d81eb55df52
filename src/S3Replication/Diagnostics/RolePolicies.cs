using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Session;

namespace S3Replication.Diagnostics;

/// <summary>
/// A role's policies, and why its attached managed policies are missing from them where the server has none to list
/// (null: they were read).
/// </summary>
internal sealed record RolePolicySet(IReadOnlyList<IamPolicyDocument> Policies, string? AttachedNotRead);

/// <summary>A role's identity-based policies as IAM holds them, ready for <see cref="PolicyEvaluator.EvaluateIdentity"/>.</summary>
internal static class RolePolicies
{
    /// <summary>
    /// The inline policies (named "inline policy &lt;name&gt;") and then the attached managed policies (named by ARN, at
    /// their default version). One request at a time: a role holds few policies, and IAM throttles bursts. A server that
    /// does not offer ListAttachedRolePolicies (Ceph RGW: 405 MethodNotAllowed; it has no managed policies) gives the
    /// inline policies alone, and says so; IAM itself always offers it.
    /// </summary>
    public static async Task<RolePolicySet> ReadAsync(IamClient iam, string roleName, CancellationToken cancellationToken)
    {
        var policies = new List<IamPolicyDocument>();
        foreach (var name in await iam.ListRolePolicyNamesAsync(roleName, cancellationToken).ConfigureAwait(false))
        {
            var document = await iam.GetRolePolicyDocumentAsync(roleName, name, cancellationToken).ConfigureAwait(false);
            policies.Add(IamPolicyDocument.Parse(document, $"inline policy {name}"));
        }
        IReadOnlyList<(string PolicyName, string PolicyArn)> attached;
        try
        {
            attached = await iam.ListAttachedRolePoliciesAsync(roleName, cancellationToken).ConfigureAwait(false);
        }
        catch (IamException error) when (error.Status is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            return new RolePolicySet(policies, $"this server does not offer ListAttachedRolePolicies ({error.Code})");
        }
        foreach (var (_, arn) in attached)
        {
            var document = await iam.GetPolicyDefaultVersionAsync(arn, cancellationToken).ConfigureAwait(false);
            policies.Add(IamPolicyDocument.Parse(document, arn));
        }
        return new RolePolicySet(policies, null);
    }
}
