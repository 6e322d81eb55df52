using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Replication;

namespace S3Replication.Commands.Replication;

/// <summary>
/// Lists a bucket's replication rules; a bucket without a configuration gives no records and no error, a bucket that does
/// not exist an error (BucketNotFound).
/// </summary>
[Cmdlet(VerbsCommon.Get, "S3BackupReplicationRule")]
[OutputType(typeof(ReplicationRuleRecord))]
public sealed class GetS3BackupReplicationRuleCommand : S3BackupCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("SourceBucket")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string Bucket { get; set; } = "";

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RuleIdCompleter))]
    public string? RuleId { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => PerItemAsync(async () =>
    {
        ReplicationRuleSpec.RequireBucket(Bucket, "source");
        var configuration = await new ReplicationService(ResolveSession().S3).GetRequiringBucketAsync(Bucket, cancellationToken).ConfigureAwait(false);
        var rules = configuration?.Rules ?? new();
        if (configuration is null)
        {
            await WriteVerboseAsync($"Bucket {Bucket} has no replication configuration.").ConfigureAwait(false);
        }

        var pattern = WildcardPattern.Get(RuleId ?? "*", WildcardOptions.None);
        var matches = rules.Where(rule => pattern.IsMatch(rule.Id ?? "")).ToList();
        if (matches.Count == 0 && RuleId is not null && !WildcardPattern.ContainsWildcardCharacters(RuleId))
        {
            throw new S3BackupException(ErrorId.RuleNotFound, ErrorCategory.ObjectNotFound,
                $"Bucket {Bucket} has no replication rule '{RuleId}'.", RuleId);
        }
        foreach (var rule in matches)
        {
            await WriteObjectAsync(ReplicationRules.ToRecord(Bucket, configuration!.Role, rule)).ConfigureAwait(false);
        }
    });
}
