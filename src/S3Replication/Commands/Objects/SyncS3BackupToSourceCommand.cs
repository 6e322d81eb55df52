using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>Restores objects from the backup bucket to the source bucket: only what differs, in parallel, server-side when possible.</summary>
[Cmdlet(VerbsData.Sync, "S3BackupToSource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = BucketsSet)]
[OutputType(typeof(SyncResult), typeof(TransferSummary))]
public sealed class SyncS3BackupToSourceCommand : RestoreCmdlet
{
    [Parameter]
    [ValidateRange(5L * 1024 * 1024, CopyOptions.FiveGiB)]
    public long MultipartThreshold { get; set; } = CopyOptions.Default.MultipartThreshold;

    [Parameter]
    [ValidateRange(5L * 1024 * 1024, CopyOptions.FiveGiB)]
    public long PartSize { get; set; } = CopyOptions.Default.PartSize;

    /// <summary>The part size of streamed (two-session) multipart copies.</summary>
    [Parameter]
    [ValidateRange(5L * 1024 * 1024, 512L * 1024 * 1024)]
    public long StreamPartSize { get; set; } = CopyOptions.Default.StreamPartSize;

    /// <summary>The most bytes the whole run holds in streamed parts.</summary>
    [Parameter]
    [ValidateRange(5L * 1024 * 1024, 64L * 1024 * 1024 * 1024)]
    public long MaxBufferSize { get; set; } = CopyOptions.Default.BufferLimit;

    /// <summary>Also write a record for each object that needed no copy.</summary>
    [Parameter]
    public SwitchParameter IncludeSkipped { get; set; }

    /// <summary>Write one TransferSummary record at the end instead of a record per object.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>
    /// Also remove from the source every key the chosen backup state does not have: within -Prefix and the filters for
    /// buckets (with -AsOf: the keys that did not exist then, or were deleted), or the removal rows piped in (compare results
    /// MissingInBackup, restore records Deleted or WouldDelete). On a versioned source a removal is a delete marker.
    /// </summary>
    [Parameter]
    public SwitchParameter Mirror { get; set; }

    /// <summary>The most objects -Mirror may remove in one run; above it nothing is removed.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxDelete { get; set; } = MirrorPlan.DefaultMaxDelete;

    private CopySink? _sink;

    private protected override string Activity => "Restore";

    private protected override Tally NewTally() => new("objects", "copied");

    private protected override bool CountsAhead => true;

    private protected override RunSettings Settings()
    {
        if (StreamPartSize > MaxBufferSize)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"-StreamPartSize {StreamPartSize:N0} does not fit -MaxBufferSize {MaxBufferSize:N0}: a streamed part is held in memory whole.", StreamPartSize);
        }
        return new RunSettings(new DecisionPolicy(CompareBy) { Mirror = Mirror }, MaxConcurrency)
        {
            Force = Force,
            AsOf = AsOf?.ToUniversalTime(),
            Copy = CopyChoices(defaultTier: "Standard") with
            {
                MultipartThreshold = MultipartThreshold,
                PartSize = PartSize,
                StreamPartSize = StreamPartSize,
                BufferLimit = MaxBufferSize,
                PartConcurrency = Math.Min(8, MaxConcurrency),
            },
        };
    }

    /// <summary>-Force lets -Mirror empty a selection the backup lacks, but never where the removals could not be undone.</summary>
    private protected override MirrorPlan? NewMirrorPlan(RestoreRun run) => !Mirror ? null
        : new MirrorPlan(MaxDelete, !Force ? EmptyBackup.Refuse : run.RemovalsUndoable ? EmptyBackup.Allow : EmptyBackup.RefuseFinal);

    /// <summary>
    /// One confirmation for the run. For buckets, a -Mirror run first lists the keys of both sides, comparing nothing:
    /// whether it is refused depends on the whole plan, and a refused -Mirror must change nothing.
    /// </summary>
    private protected override async Task<bool> ConfirmAsync(RestoreRun run)
    {
        var pair = run.Pair!;
        if (Mirror && ParameterSetName == BucketsSet)
        {
            await PreflightMirrorAsync(run).ConfigureAwait(false);
        }
        var commit = await ShouldProcessAsync($"s3://{pair.Source}",
            $"Restore what differs from {BackupDescriptionOf(pair)}{(Mirror ? " and remove what it does not have" : "")}").ConfigureAwait(false);
        await WriteVerboseAsync($"Restoring {BackupDescriptionOf(pair)} to s3://{pair.Source}: " +
            (run.ServerSide ? "server-side copies" : $"streamed through this process (two sessions; at most {MaxBufferSize / (1024 * 1024):N0} MiB buffered)") +
            $", up to {MaxConcurrency} at once, compare by {CompareBy}, encryption: {DescribeEncryption()}.").ConfigureAwait(false);
        return commit;
    }

    private string BackupDescriptionOf(BucketPair pair) => ParameterSetName == BucketsSet ? BackupDescription : $"the rows piped from s3://{pair.Backup}";

    /// <summary>The keys only, compared by nothing: the removals -Mirror would make, refused here before anything is changed.</summary>
    private async Task PreflightMirrorAsync(RestoreRun run)
    {
        var keysOnly = new DecisionPolicy(CompareMode.Size) { Mirror = true, CheckArchive = false };
        var preflight = NewMirrorPlan(run)!;
        var keys = new KeyFilter(Include, Exclude, match: ObjectSelection.MatchFrom(MatchFileName, IgnoreCase));
        using (run.Runner.Pace())
        {
            await foreach (var candidate in PlanSources.Listings(Sides!, run.Pair!, new Selection(Prefix, keys, AsOf), null, writes: false, run.Runner.Token)
                .ConfigureAwait(false))
            {
                preflight.Observe(new Decided(candidate, RestoreDecider.Decide(candidate, keysOnly)));
            }
        }
        preflight.Release(BackupDescription, SourceBucket);
    }

    private protected override IRestoreSink SinkFor(RestoreRun run) =>
        _sink = new CopySink(run, this, NewMirrorPlan(run), BackupDescriptionOf(run.Pair!));

    private protected override async Task WriteOutcomeAsync(RestoreOutcome outcome)
    {
        await WriteErrorsAsync(Run!.Runner.ErrorsToShow(outcome.Failure)).ConfigureAwait(false);
        if (!Summary && (outcome.Action != SyncAction.Skipped || IncludeSkipped))
        {
            await WriteObjectAsync(SyncResults.Of(outcome, Run!.Settings.AsOf)).ConfigureAwait(false);
        }
        await ReportProgressAsync().ConfigureAwait(false);
    }

    private protected override async Task CompleteAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        await CompleteProgressAsync().ConfigureAwait(false);
        if (run.Runner.SlowDownSummary() is { } slowed)
        {
            await WriteVerboseAsync(slowed).ConfigureAwait(false);
        }
        var engine = _sink?.Engine;
        if (!run.ServerSide && engine?.Buffers.PeakInUse > 0)
        {
            await WriteVerboseAsync($"Streamed parts held at most {engine.Buffers.PeakInUse / (1024 * 1024.0):N1} MiB at once (limit {MaxBufferSize / (1024 * 1024):N0} MiB).")
                .ConfigureAwait(false);
        }
        var stopped = run.Runner.StopError;
        await ReportSummaryAsync(RunSummary(stopped is not null), Summary).ConfigureAwait(false);
        if (stopped is not null)
        {
            throw stopped;
        }
    }

    private protected override string StopAdvice => ". Running the same command again copies the rest; what was copied is skipped.";
}
