using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>What is not backed up, and what a restore would change: the source and backup listings side by side.</summary>
[Cmdlet(VerbsData.Compare, "S3BackupBucket", DefaultParameterSetName = BucketsSet)]
[OutputType(typeof(CompareResult))]
public sealed class CompareS3BackupBucketCommand : BucketPairCmdlet
{
    [Parameter]
    public SwitchParameter IncludeEqual { get; set; }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        var (backup, source) = ResolveSides();
        var counts = new Dictionary<PlanState, long>();
        await foreach (var item in Plan(backup, source, cancellationToken).ConfigureAwait(false))
        {
            counts[item.State] = counts.TryGetValue(item.State, out var count) ? count + 1 : 1;
            if (item.State == PlanState.Equal && !IncludeEqual)
            {
                continue;
            }
            await WriteObjectAsync(new CompareResult
            {
                SourceBucket = SourceBucket,
                Bucket = BackupBucket,
                VersionId = item.Backup?.VersionId,
                Size = item.Backup?.Size ?? 0,
                ETag = item.Backup?.ETag,
                LastModified = item.Backup?.LastModified,
                StorageClass = item.Backup?.StorageClass,
                Key = item.Key,
                State = item.State.ToString(),
                SourceSize = item.Source?.Size,
                BackupSize = item.Backup?.Size,
                SourceETag = item.Source?.ETag,
                BackupETag = item.Backup?.ETag,
                SourceLastModified = item.Source?.LastModified,
                BackupLastModified = item.Backup?.LastModified,
                Reason = item.State is PlanState.Equal or PlanState.Different && item.Decision is { Basis: not ComparisonBasis.None } decision
                    ? decision.Basis.ToString() : null,
            }).ConfigureAwait(false);
        }
        await WarnIfNothingSelectedAsync().ConfigureAwait(false);
        await WriteVerboseAsync($"Compared s3://{SourceBucket} with s3://{BackupBucket}/{Prefix}: " +
            (counts.Count == 0 ? "no objects" : string.Join(", ", counts.OrderBy(entry => entry.Key).Select(entry => $"{entry.Value} {entry.Key}")))).ConfigureAwait(false);
    }
}
