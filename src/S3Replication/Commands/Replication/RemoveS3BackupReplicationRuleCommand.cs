using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Replication;

namespace S3Replication.Commands.Replication;

/// <summary>Removes one rule, keeping the others; removing the last rule deletes the configuration.</summary>
[Cmdlet(VerbsCommon.Remove, "S3BackupReplicationRule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveS3BackupReplicationRuleCommand : ReplicationRuleTargetCmdlet
{
    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        ReplicationRuleSpec.RequireBucket(Bucket, "source");
        var change = await new ReplicationService(ResolveSession().S3).ReadModifyWriteAsync(Bucket, RuleId,
            existing => ConfigurationMerger.Remove(existing, Bucket, RuleId),
            (before, after) => ShouldProcessAsync(
                ReplicationPreview.Describe($"Remove replication rule '{RuleId}'", Bucket, before, after),
                $"Remove replication rule '{RuleId}' from bucket {Bucket}? New objects will no longer be replicated by it.",
                "Remove-S3BackupReplicationRule"),
            cancellationToken).ConfigureAwait(false);
        if (change.Written && change.After is null)
        {
            await WriteVerboseAsync($"'{RuleId}' was the last rule: the replication configuration of bucket {Bucket} was deleted.").ConfigureAwait(false);
        }
    });
}
