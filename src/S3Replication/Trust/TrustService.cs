using System;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Trust;

/// <summary>Reads and edits role trust policies through <see cref="IamClient"/>, with IAM's errors explained.</summary>
internal sealed class TrustService
{
    public const int DefaultPolicySizeLimit = 2048;
    public const int ReapplyLimit = 5;

    /// <summary>IAM is eventually consistent: a write must survive this long (plus jitter) before it counts.</summary>
    public static readonly TimeSpan DefaultSettleDelay = TimeSpan.FromSeconds(1);

    private readonly IamClient _iam;
    private readonly TimeSpan _settleDelay;
    private readonly string _accountDescription;

    public TrustService(IamClient iam, string? account, TimeSpan settleDelay)
    {
        _iam = iam;
        _settleDelay = settleDelay;
        _accountDescription = string.IsNullOrEmpty(account) ? "the account of these credentials" : $"account {account}";
    }

    public static void RequireRoleName(string roleName)
    {
        if (!PrincipalNames.IsRoleName(roleName))
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"'{roleName}' is not an IAM role name: 1 to 64 letters, digits and +=,.@_- (the name, not the ARN).", roleName);
        }
    }

    public async Task<(IamRole Role, TrustPolicyDocument Policy)> GetAsync(string roleName, CancellationToken cancellationToken)
    {
        var role = await Iam(() => _iam.GetRoleAsync(roleName, cancellationToken), roleName, "iam:GetRole").ConfigureAwait(false);
        return (role, TrustPolicyDocument.Parse(role.AssumeRolePolicyDocument, roleName));
    }

    /// <summary>Edits the trust policy with <see cref="VerifiedWrite"/>; <paramref name="applied"/> says whether a read-back shows the edit.</summary>
    public Task<VerifiedWriteResult<TrustPolicyDocument>> EditAsync(string roleName,
        Func<TrustPolicyDocument, TrustPolicyDocument> change,
        Func<TrustPolicyDocument, bool> applied,
        Func<TrustPolicyDocument, TrustPolicyDocument, Task<bool>> confirm,
        CancellationToken cancellationToken) =>
        VerifiedWrite.RunAsync(
            async token => (await GetAsync(roleName, token).ConfigureAwait(false)).Policy,
            change,
            confirm,
            (policy, token) => Iam(async () =>
            {
                await _iam.UpdateAssumeRolePolicyAsync(roleName, policy.ToJson(), token).ConfigureAwait(false);
                return true;
            }, roleName, "iam:UpdateAssumeRolePolicy"),
            (readBack, _) => applied(readBack),
            _settleDelay,
            ReapplyLimit,
            () => new S3BackupException(ErrorId.ConcurrentModification, ErrorCategory.ResourceUnavailable,
                $"The trust policy of role {roleName} kept changing while it was being written ({ReapplyLimit} attempts). " +
                "Another process is editing it; run the command again when it has finished.", roleName),
            cancellationToken);

    /// <summary>Refuses a policy IAM would reject for its size, before sending it.</summary>
    public static TrustPolicyDocument RequireWithinQuota(TrustPolicyDocument policy, int limit, string roleName)
    {
        if (policy.QuotaSize > limit)
        {
            throw new S3BackupException(ErrorId.PolicyTooLarge, ErrorCategory.LimitsExceeded,
                $"The trust policy of role {roleName} would be {policy.QuotaSize} characters (white space not counted), over the limit of {limit}. " +
                "Remove principals that are no longer needed (Get-BackupRoleTrustPolicy marks deleted ones as orphaned), or raise the " +
                "account's quota and pass -PolicySizeLimit. Nothing was changed.", roleName);
        }
        return policy;
    }

    public static TrustPolicyRecord ToRecord(IamRole role, TrustPolicyDocument policy) => new()
    {
        RoleName = role.RoleName,
        RoleArn = role.Arn,
        StatementCount = policy.StatementCount,
        Size = policy.QuotaSize,
        Document = policy.ToJson(),
        Principals = policy.Principals.Select(principal => new TrustPrincipalRecord
        {
            RoleName = role.RoleName,
            Principal = principal.Value,
            Type = principal.Type,
            Effect = principal.Effect,
            Sid = principal.Sid,
            StatementIndex = principal.StatementIndex,
            Actions = string.Join(", ", principal.Actions),
            HasCondition = principal.HasCondition,
            IsNotPrincipal = principal.IsNotPrincipal,
            IsOrphaned = principal.IsOrphaned,
        }).ToList(),
    };

    private static string Detail(IamException error) => string.IsNullOrWhiteSpace(error.Message) ? "" : $" ({error.Message.TrimEnd('.')})";

    private async Task<T> Iam<T>(Func<Task<T>> call, string roleName, string action)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (IamException error)
        {
            throw Explain(error, roleName, action);
        }
    }

    private S3BackupException Explain(IamException error, string roleName, string action) => error.Code switch
    {
        "NoSuchEntity" => new S3BackupException(ErrorId.RoleNotFound, ErrorCategory.ObjectNotFound,
            $"Role {roleName} was not found in {_accountDescription}{Detail(error)}. Check the role name (not its ARN) and the profile.", roleName, error),
        "MalformedPolicyDocument" => new S3BackupException(ErrorId.MalformedPolicyDocument, ErrorCategory.InvalidData,
            $"IAM refused the new trust policy of role {roleName}{Detail(error)}.", roleName, error),
        "LimitExceeded" => new S3BackupException(ErrorId.LimitExceeded, ErrorCategory.LimitsExceeded,
            $"IAM refused the trust policy of role {roleName} as over a quota{Detail(error)}.", roleName, error),
        "AccessDenied" or "AccessDeniedException" => new S3BackupException(ErrorId.AccessDenied, ErrorCategory.PermissionDenied,
            $"{action} on role {roleName} was denied{Detail(error)}. The identity needs {action} on that role.", roleName, error),
        _ when error.Status == HttpStatusCode.Forbidden => new S3BackupException(ErrorId.AccessDenied, ErrorCategory.PermissionDenied,
            $"{action} on role {roleName} was denied ({error.Code}: {error.Message}). The identity needs {action} on that role.", roleName, error),
        _ => new S3BackupException(ErrorId.AwsRequestFailed, ErrorCategory.InvalidOperation,
            $"{action} on role {roleName} failed: {error.Code}: {error.Message}", roleName, error),
    };
}
