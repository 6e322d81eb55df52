using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Trust;

namespace S3Replication.Commands.Trust;

/// <summary>Stops a principal from assuming the role, keeping the rest of the trust policy.</summary>
[Cmdlet(VerbsCommon.Remove, "BackupRoleTrustPrincipal", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(TrustChangeRecord))]
public sealed class RemoveBackupRoleTrustPrincipalCommand : TrustCmdlet
{
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Principal", "Arn")]
    [ValidateNotNullOrEmpty]
    public string PrincipalArn { get; set; } = "";

    /// <summary>Allow removing a service principal (replication needs s3.amazonaws.com) or the policy's last principal.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        TrustService.RequireRoleName(RoleName);
        if (PrincipalNames.Classify(PrincipalArn) == PrincipalKind.Invalid && !PrincipalNames.IsUniqueId(PrincipalArn))
        {
            throw new S3BackupException(ErrorId.InvalidPrincipal, ErrorCategory.InvalidArgument,
                $"'{PrincipalArn}' is not a principal: give an ARN, an account id, a service such as s3.amazonaws.com, *, or an orphaned unique id (AIDA…).",
                PrincipalArn);
        }

        var result = await TrustServiceFor(ResolveSession()).EditAsync(RoleName,
            Without,
            readBack => !Names(readBack),
            (before, after) => ConfirmEditAsync($"Remove principal {PrincipalArn}", before, after),
            cancellationToken).ConfigureAwait(false);

        var wasNotTrusted = ReferenceEquals(result.Before, result.After);
        if (wasNotTrusted)
        {
            await WriteVerboseAsync($"The trust policy of role {RoleName} does not name {PrincipalArn}; nothing was changed.").ConfigureAwait(false);
        }
        if (wasNotTrusted || result.Written)
        {
            await WriteObjectAsync(new TrustChangeRecord { RoleName = RoleName, Principal = PrincipalArn, Result = wasNotTrusted ? "NotTrusted" : "Removed" })
                .ConfigureAwait(false);
        }
    });

    private bool Names(TrustPolicyDocument policy) => policy.Principals.Any(principal => !principal.IsNotPrincipal && principal.Value == PrincipalArn);

    private TrustPolicyDocument Without(TrustPolicyDocument policy)
    {
        if (!Names(policy))
        {
            return policy;
        }
        if (!Force && policy.Principals.Any(principal => principal.Type == "Service" && principal.Value == PrincipalArn))
        {
            throw new S3BackupException(ErrorId.ServicePrincipalRefused, ErrorCategory.SecurityError,
                $"{PrincipalArn} is a service principal of role {RoleName}; replication stops working without it (S3 needs s3.amazonaws.com). " +
                "Pass -Force if that is really meant. Nothing was changed.", PrincipalArn);
        }
        var after = policy.WithoutPrincipal(PrincipalArn);
        if (!Force && !after.Principals.Any(principal => !principal.IsNotPrincipal))
        {
            throw new S3BackupException(ErrorId.LastPrincipalRefused, ErrorCategory.SecurityError,
                $"{PrincipalArn} is the last principal of role {RoleName}'s trust policy; without it nobody could assume the role. " +
                "Pass -Force if that is really meant. Nothing was changed.", PrincipalArn);
        }
        return after;
    }
}
