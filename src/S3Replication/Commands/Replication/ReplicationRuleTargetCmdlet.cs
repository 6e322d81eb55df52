using System.Management.Automation;

namespace S3Replication.Commands.Replication;

/// <summary>Cmdlets that act on one existing rule, named by records from Get-S3BackupReplicationRule or by hand.</summary>
public abstract class ReplicationRuleTargetCmdlet : S3BackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("SourceBucket")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string Bucket { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string RuleId { get; set; } = "";
}
