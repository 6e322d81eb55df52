using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Replication;

namespace S3Replication.Commands.Replication;

/// <summary>Changes one rule (status, priority, prefix, storage class, delete markers), keeping every other rule.</summary>
[Cmdlet(VerbsCommon.Set, "S3BackupReplicationRule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ReplicationRuleRecord))]
public sealed class SetS3BackupReplicationRuleCommand : ReplicationRuleTargetCmdlet
{
    [Parameter]
    public SwitchParameter Enabled { get; set; }

    [Parameter]
    public SwitchParameter Disabled { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? Priority { get; set; }

    [Parameter]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyPrefixCompleter))]
    public string? Prefix { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(StorageClassCompleter))]
    [ValidateNotNullOrEmpty]
    public string? StorageClass { get; set; }

    [Parameter]
    public bool? DeleteMarkerReplication { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        if (Enabled && Disabled)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument, "Give -Enabled or -Disabled, not both.", RuleId);
        }
        var changes = new RuleChanges(Enabled ? true : Disabled ? false : null, Priority, Prefix, StorageClass, DeleteMarkerReplication);
        if (changes.IsEmpty)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                "Nothing to change: give -Enabled, -Disabled, -Priority, -Prefix, -StorageClass or -DeleteMarkerReplication.", RuleId);
        }
        changes.Validate();
        ReplicationRuleSpec.RequireBucket(Bucket, "source");

        var change = await new ReplicationService(ResolveSession().S3).ReadModifyWriteAsync(Bucket, RuleId,
            existing => ConfigurationMerger.Update(existing, Bucket, RuleId, changes),
            (before, after) => ShouldProcessAsync(
                ReplicationPreview.Describe($"Change replication rule '{RuleId}'", Bucket, before, after),
                $"Change replication rule '{RuleId}' of bucket {Bucket}?", "Set-S3BackupReplicationRule"),
            cancellationToken).ConfigureAwait(false);
        if (change.Written && PassThru)
        {
            var rule = change.After!.Rules.Single(candidate => candidate.Id == RuleId);
            await WriteObjectAsync(ReplicationRules.ToRecord(Bucket, change.After.Role, rule)).ConfigureAwait(false);
        }
    });
}
