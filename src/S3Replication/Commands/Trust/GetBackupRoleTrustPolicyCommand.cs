using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Records;
using S3Replication.Trust;

namespace S3Replication.Commands.Trust;

/// <summary>Shows a role's trust policy and its principals, flagging principals whose user or role was deleted.</summary>
[Cmdlet(VerbsCommon.Get, "BackupRoleTrustPolicy")]
[OutputType(typeof(TrustPolicyRecord))]
public sealed class GetBackupRoleTrustPolicyCommand : TrustCmdlet
{
    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        TrustService.RequireRoleName(RoleName);
        var (role, policy) = await TrustServiceFor(ResolveSession()).GetAsync(RoleName, cancellationToken).ConfigureAwait(false);
        await WriteObjectAsync(TrustService.ToRecord(role, policy)).ConfigureAwait(false);
    });
}
