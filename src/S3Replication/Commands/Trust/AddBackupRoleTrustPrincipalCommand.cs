using System;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Trust;

namespace S3Replication.Commands.Trust;

/// <summary>Lets a principal assume the backup role: one idempotent edit of the role's trust policy.</summary>
[Cmdlet(VerbsCommon.Add, "BackupRoleTrustPrincipal", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TrustChangeRecord))]
public sealed class AddBackupRoleTrustPrincipalCommand : TrustCmdlet
{
    private static readonly TimeSpan LongestWaitStep = TimeSpan.FromSeconds(10);

    /// <summary>The user, role or assumed-role ARN to trust; by default the caller's own.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Principal", "Arn")]
    [ValidateNotNullOrEmpty]
    public string? PrincipalArn { get; set; }

    /// <summary>Allow "*" and whole-account principals.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSeconds { get; set; } = 120;

    [Parameter]
    [ValidateRange(100, 10240)]
    public int PolicySizeLimit { get; set; } = TrustService.DefaultPolicySizeLimit;

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        TrustService.RequireRoleName(RoleName);
        if (PrincipalArn is not null)
        {
            RequireAddable(PrincipalArn);
        }
        var session = ResolveSession();
        var principal = PrincipalArn ?? await CallerAsync(session, cancellationToken).ConfigureAwait(false);
        RequireAddable(principal);

        var trust = TrustServiceFor(session);
        var result = await trust.EditAsync(RoleName,
            policy => TrustService.RequireWithinQuota(policy.WithPrincipal(principal), PolicySizeLimit, RoleName),
            readBack => readBack.Trusts(principal),
            (before, after) => ConfirmEditAsync($"Add principal {principal}", before, after),
            cancellationToken).ConfigureAwait(false);

        var alreadyTrusted = ReferenceEquals(result.Before, result.After);
        if (!alreadyTrusted && !result.Written)
        {
            return;
        }
        if (alreadyTrusted)
        {
            await WriteVerboseAsync($"{principal} is already trusted by role {RoleName}; the trust policy was not changed.").ConfigureAwait(false);
        }
        var record = new TrustChangeRecord { RoleName = RoleName, Principal = principal, Result = alreadyTrusted ? "AlreadyTrusted" : "Added" };
        if (Wait)
        {
            record.Verified = await WaitUntilAssumableAsync(session, trust, principal, cancellationToken).ConfigureAwait(false);
        }
        await WriteObjectAsync(record).ConfigureAwait(false);
    });

    private void RequireAddable(string principal)
    {
        var kind = PrincipalNames.Classify(principal);
        if (kind is PrincipalKind.Invalid)
        {
            throw new S3BackupException(ErrorId.InvalidPrincipal, ErrorCategory.InvalidArgument,
                $"'{principal}' is not a principal this cmdlet adds: give a user, role or assumed-role ARN " +
                "(arn:aws:iam::123456789012:user/name), an AWS service (s3.amazonaws.com), an account root ARN or 12-digit account id, or *.", principal);
        }
        if (kind is PrincipalKind.Service && Wait)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"-Wait checks that the caller can assume the role; {principal} is an AWS service, which assumes it itself. Leave out -Wait.", principal);
        }
        if (PrincipalNames.IsBroad(kind) && !Force)
        {
            throw new S3BackupException(ErrorId.BroadPrincipalRefused, ErrorCategory.SecurityError,
                $"'{principal}' would let {(kind == PrincipalKind.Everyone ? "anyone" : "every identity of that account")} assume role {RoleName}. " +
                "Name a user or role instead, or pass -Force if that is really meant. Nothing was changed.", principal);
        }
    }

    /// <summary>The caller's own ARN; for an assumed-role session, its role (sessions expire, the role stays).</summary>
    private static async Task<string> CallerAsync(AwsSession session, CancellationToken cancellationToken)
    {
        var identity = await session.GetIdentityAsync(cancellationToken).ConfigureAwait(false);
        return identity.Arn is { } arn
            ? PrincipalNames.RoleOfSession(arn)
            : throw new S3BackupException(ErrorId.IdentityUnknown, ErrorCategory.InvalidOperation,
                "This endpoint does not say who the caller is (no STS GetCallerIdentity), so the principal cannot default to you: " +
                "pass -PrincipalArn, e.g. arn:aws:iam::123456789012:user/yourname.", session.ProfileName);
    }

    /// <summary>
    /// IAM is eventually consistent: retries sts:AssumeRole with this session's credentials until it succeeds or the
    /// timeout passes. Only meaningful when the principal is the caller.
    /// </summary>
    private async Task<bool?> WaitUntilAssumableAsync(AwsSession session, TrustService trust, string principal, CancellationToken cancellationToken)
    {
        var caller = (await session.GetIdentityAsync(cancellationToken).ConfigureAwait(false)).Arn;
        if (caller is not null && PrincipalNames.RoleOfSession(caller) != principal && caller != principal)
        {
            await WriteWarningAsync($"-Wait checks with this session's credentials, which belong to {caller}, not {principal}; not waiting.").ConfigureAwait(false);
            return null;
        }

        var (role, _) = await trust.GetAsync(RoleName, cancellationToken).ConfigureAwait(false);
        // Denials are what IAM answers until the new trust policy has reached STS, so here they are worth waiting out.
        var untilTrusted = new RetryPolicy(int.MaxValue, TimeSpan.FromSeconds(1), LongestWaitStep,
            (error, token) => IsDenied(error) ? FailureKind.Transient : RetryPolicies.ClassifyS3(error, token))
        {
            GiveUpAfter = TimeSpan.FromSeconds(TimeoutSeconds),
            OnRetry = retry => _ = WriteProgressAsync(new ProgressRecord(1, "Waiting for IAM", $"{principal} cannot assume {RoleName} yet (attempt {retry.Attempt})")),
        };
        try
        {
            await untilTrusted.RunAsync(token => session.Sts.AssumeRoleAsync(
                new AssumeRoleRequest { RoleArn = role.Arn, RoleSessionName = "S3Replication-trust-check", DurationSeconds = 900 }, token), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonSecurityTokenServiceException error) when (IsDenied(error))
        {
            throw new S3BackupException(ErrorId.AssumeRoleTimedOut, ErrorCategory.OperationTimeout,
                $"The trust policy of role {RoleName} names {principal}, but assuming the role was still denied after {TimeoutSeconds} s " +
                $"({AwsErrors.CodeAndMessage(error)}). IAM may need longer, or the caller lacks sts:AssumeRole permission of its own.", role.Arn, error);
        }
        await WriteVerboseAsync($"{principal} assumed role {role.Arn}.").ConfigureAwait(false);
        return true;
    }

    private static bool IsDenied(Exception error) =>
        error is AmazonSecurityTokenServiceException denied && (denied.StatusCode == HttpStatusCode.Forbidden || denied.ErrorCode == "AccessDenied");
}
