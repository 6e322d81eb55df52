using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>What is not backed up, and what a restore would change: the source and backup listings side by side, or piped backup objects against the source.</summary>
[Cmdlet(VerbsData.Compare, "S3BackupBucket", DefaultParameterSetName = BucketsSet)]
[OutputType(typeof(CompareResult))]
public sealed class CompareS3BackupBucketCommand : BucketPairCmdlet
{
    [Parameter]
    public SwitchParameter IncludeEqual { get; set; }

    private CompareSink? _sink;

    private protected override string Activity => "Compare";

    private protected override Tally NewTally() => new("objects", "compared");

    /// <summary>A compare writes nothing: it decides as a restore would, without the archive and size limits of a copy path.</summary>
    private protected override RunSettings Settings() => new(new DecisionPolicy(CompareBy) { CheckArchive = false }, MaxConcurrency) { Writes = false };

    private protected override Task<bool> ConfirmAsync(RestoreRun run) => Task.FromResult(true);

    private protected override IRestoreSink SinkFor(RestoreRun run) => _sink = new CompareSink(WriteAsync);

    private async Task WriteAsync(Decided item, PlanState state)
    {
        Run!.Runner.Record(ItemOutcome.Done);
        if (item.Failure is { } failure)
        {
            await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
            return;
        }
        if (state == PlanState.Equal && !IncludeEqual)
        {
            return;
        }
        var (backup, source) = (item.Candidate.PinnedBackup, item.Candidate.Source);
        await WriteObjectAsync(new CompareResult
        {
            SourceBucket = Run.Pair!.Source,
            Bucket = Run.Pair.Backup,
            VersionId = backup?.VersionId,
            Size = backup?.Size ?? 0,
            ETag = backup?.ETag,
            LastModified = backup?.LastModified,
            StorageClass = backup?.StorageClass,
            ChecksumAlgorithm = backup?.ChecksumAlgorithm,
            Key = item.Candidate.Key,
            State = state.ToString(),
            SourceSize = source?.Size,
            BackupSize = backup?.Size,
            SourceETag = source?.ETag,
            BackupETag = backup?.ETag,
            SourceLastModified = source?.LastModified,
            BackupLastModified = backup?.LastModified,
            Reason = item.Decision.Reason.ToString(),
        }).ConfigureAwait(false);
        await ReportProgressAsync().ConfigureAwait(false);
    }

    private protected override Task WriteOutcomeAsync(RestoreOutcome outcome) => Task.CompletedTask;

    private protected override async Task CompleteAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        await CompleteProgressAsync().ConfigureAwait(false);
        // Shown like the closing line of a restore: a compare that finds no difference writes no record, and should still say so.
        await WriteInformationAsync($"Compared s3://{run.Pair!.Source} with {BackupDescription}: " + (_sink!.Counts.Count == 0 ? "no objects"
            : string.Join(", ", _sink.Counts.OrderBy(entry => entry.Key).Select(entry => $"{entry.Value:N0} {entry.Key}"))) + ".", "S3Replication.Summary")
            .ConfigureAwait(false);
    }
}
