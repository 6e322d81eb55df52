using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// The entrances of one restore run (<see cref="RestoreRun"/>): Sync-S3BackupToSource, Compare-S3BackupBucket and
/// Start-S3BackupBatchRestore, by bucket names or by piped rows (objects, compare results, Batch report tasks, restore
/// records, rows from Import-Csv or Import-Clixml), each side with its own session if needed. The run owns every rule;
/// this binds, starts it the same way for every entrance, and writes what it reports.
/// </summary>
public abstract class BucketPairCmdlet : ParallelCmdlet, IRunReport
{
    protected const string BucketsSet = "Buckets";
    protected const string ObjectsSet = "Objects";

    /// <summary>With piped rows: optional, and every row must be of this bucket.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = BucketsSet)]
    [Parameter(Position = 0, ParameterSetName = ObjectsSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string? BackupBucket { get; set; }

    /// <summary>Bound from piped compare results and restore records by property name too.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string SourceBucket { get; set; } = "";

    /// <summary>
    /// Rows to restore (or compare) instead of whole buckets: backup objects from Get-S3BackupObject, compare results,
    /// Batch report tasks, or the records a restore wrote (also from Import-Csv and Import-Clixml). Each is decided against
    /// what the source holds under its key now.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectsSet)]
    [ValidateNotNull]
    [RestoreInput]
    public S3ObjectRecord? InputObject { get; set; }

    [Parameter]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(KeyPrefixCompleter))]
    public string? Prefix { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Include { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Exclude { get; set; }

    /// <summary>Match -Include and -Exclude against the file name (the part of the key after the last '/') instead of the whole key.</summary>
    [Parameter]
    public SwitchParameter MatchFileName { get; set; }

    /// <summary>Match -Include and -Exclude regardless of case.</summary>
    [Parameter]
    public SwitchParameter IgnoreCase { get; set; }

    /// <summary>Compare with (or restore) the backup as it was at this moment (versioned backup bucket).</summary>
    [Parameter]
    [PointInTime]
    public DateTime? AsOf { get; set; }

    [Parameter]
    public CompareMode CompareBy { get; set; } = CompareMode.Auto;

    /// <summary>
    /// Plan the backup side from its S3 Inventory instead of LIST requests: the manifest (s3://…/manifest.json), the
    /// folder its deliveries go to (the newest complete one is read), or the id of the backup bucket's inventory configuration.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BackupInventory { get; set; }

    /// <summary>Plan the source side from its S3 Inventory, given as for -BackupInventory.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SourceInventory { get; set; }

    /// <summary>The account that owns the source bucket: every request to it says so (x-amz-expected-bucket-owner); by default the source session's account.</summary>
    [Parameter]
    [ValidatePattern("^[0-9]{12}$")]
    public string? SourceAccountId { get; set; }

    /// <summary>The account that owns the backup bucket; by default the one the source bucket's replication rule sends the backup to.</summary>
    [Parameter]
    [ValidatePattern("^[0-9]{12}$")]
    public string? BackupAccountId { get; set; }

    /// <summary>The session that reads the backup bucket; by default the cmdlet's session.</summary>
    [Parameter]
    [ValidateNotNull]
    public S3BackupSession? BackupSession { get; set; }

    /// <summary>The session that reads and writes the source bucket; by default the cmdlet's session.</summary>
    [Parameter]
    [ValidateNotNull]
    public S3BackupSession? SourceSession { get; set; }

    private RestoreRun? _run;
    private bool _released;
    private Channel<Candidate>? _piped;
    private Task? _pipedRun;
    private ProgressReporter? _progress;

    /// <summary>The run, once started (at the first piped row, or at the end for buckets).</summary>
    private protected RestoreRun? Run => _run;

    /// <summary>What a bucket plan reads each side from (LIST requests or inventories), once the run has begun; null for piped rows.</summary>
    private protected PlanSides? Sides { get; private set; }

    /// <summary>
    /// Whether the backup selection is counted beside the run, so progress has a total from the first seconds: where each
    /// item is slower than listing it (copies), not where listing is the work (a compare, a plan, a manifest).
    /// </summary>
    private protected virtual bool CountsAhead => false;

    /// <summary>What the backup listing gave and kept (bucket plans), for the empty-selection warning.</summary>
    private protected SelectionCount BackupSelection { get; } = new();

    /// <summary>"Restore", "Compare" or "Batch restore": the progress activity and the summary's first word.</summary>
    private protected abstract string Activity { get; }

    /// <summary>What the run is asked to do (policy, copy options); whether it changes anything is the confirmation's.</summary>
    private protected abstract RunSettings Settings();

    /// <summary>The tally of this cmdlet's outcomes, with its own words.</summary>
    private protected abstract Tally NewTally();

    /// <summary>Where the run's decisions go.</summary>
    private protected abstract IRestoreSink SinkFor(RestoreRun run);

    /// <summary>
    /// Asked once, before anything is changed, on the pipeline thread: ShouldProcess where the cmdlet changes something
    /// right away; true where it asks later (a Batch job, once planned) or changes nothing (a compare).
    /// </summary>
    private protected abstract Task<bool> ConfirmAsync(RestoreRun run);

    /// <summary>After the run: the summary, the warnings, what the sink has left to do.</summary>
    private protected abstract Task CompleteAsync(RestoreRun run, CancellationToken cancellationToken);

    /// <summary>One outcome of the run: its record, error and progress.</summary>
    private protected abstract Task WriteOutcomeAsync(RestoreOutcome outcome);

    /// <summary>-Mirror (Sync only): piped rows are all read first, so a refusal changes nothing.</summary>
    private protected virtual MirrorPlan? NewMirrorPlan(RestoreRun run) => null;

    /// <summary>What the backup side is, for messages: the bucket, prefix and moment, or the piped rows.</summary>
    private protected string BackupDescription => ParameterSetName == BucketsSet
        ? $"s3://{BackupBucket}/{Prefix}" + (AsOf is { } moment ? $" as of {PointInTime.Describe(moment)}" : "")
        : $"the rows piped from s3://{_run?.Pair?.Backup ?? BackupBucket}";

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (InputObject is not { } row)
        {
            return;
        }
        if (_run is null)
        {
            PipedSelection.Refuse(MyInvocation, BucketSelection, "Compare-S3BackupBucket or Get-S3BackupObject");
            // The first row names the pair unless the names do; it must fit them before anything is asked or done.
            var pair = new BucketPair(BackupBucket ?? PlanSources.BucketsOf(row).Backup, SourceBucket);
            PlanSources.Piped(row, pair);
            await StartAsync(pair, cancellationToken).ConfigureAwait(false);
        }
        Candidate candidate;
        try
        {
            candidate = _run!.Admit(row);
        }
        catch (S3BackupException refused)
        {
            // Rows already admitted finish; nothing after this one is done.
            await WithHeldErrorsAsync(_run!.Runner, () => EndPipedAsync(cancellationToken)).ConfigureAwait(false);
            throw refused;
        }
        if (_pipedRun is null)
        {
            _pipedMirror!.Add(candidate);
            return;
        }
        await _piped!.Writer.WriteAsync(candidate, cancellationToken).ConfigureAwait(false);
    }

    private List<Candidate>? _pipedMirror;

    /// <summary>The parameters that select the keys of whole buckets: refused with piped rows (<see cref="PipedSelection"/>).</summary>
    private static readonly string[] BucketSelection =
        { nameof(Prefix), nameof(Include), nameof(Exclude), nameof(MatchFileName), nameof(IgnoreCase), nameof(AsOf), nameof(BackupInventory), nameof(SourceInventory) };

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == BucketsSet)
        {
            await StartAsync(new BucketPair(BackupBucket!, SourceBucket), cancellationToken).ConfigureAwait(false);
        }
        if (_run is null)
        {
            return;   // refused or not confirmed, or nothing was piped in
        }
        try
        {
            await WithHeldErrorsAsync(_run.Runner, () => ParameterSetName == BucketsSet ? RunBucketsAsync(_run, cancellationToken) : EndPipedAsync(cancellationToken))
                .ConfigureAwait(false);
            if (_run.OverNewerSource is { Count: > 0 } overNewer)
            {
                await WriteWarningAsync(string.Format(CultureInfo.InvariantCulture,
                    "{0:N0} cop{1} {2} a source object written after the backup version that replaces it ({3}{4}). That is right when those " +
                    "source objects are the damaged ones; but if the source was rolled back, the backup's current versions may be the ones the " +
                    "rollback replaced: restore -AsOf the moment before the incident instead.",
                    overNewer.Count, overNewer.Count == 1 ? "y" : "ies", _run.Settings.Commit ? "replaced" : "would replace",
                    string.Join(", ", overNewer.FirstKeys), overNewer.Count > overNewer.FirstKeys.Count ? ", …" : "")).ConfigureAwait(false);
            }
            await CompleteAsync(_run, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>What the cmdlet holds for its run besides the run itself (a compare's or a Batch restore's manifests).</summary>
    private protected virtual void ReleaseHeld()
    {
    }

    /// <summary>
    /// The run and what the cmdlet holds for it, released when the run ends — and when a stop or a refused piped row ends
    /// the command before that (AsyncPSCmdlet.Dispose), so no temporary manifest outlives the command.
    /// </summary>
    private protected sealed override void Release()
    {
        if (_released)
        {
            return;
        }
        _released = true;
        ReleaseHeld();
        _run?.Dispose();
    }

    /// <summary>The whole-bucket plan: both sides listed (or read from inventories) and merge-joined into the run.</summary>
    private async Task RunBucketsAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        var selection = new Selection(Prefix, new KeyFilter(Include, Exclude, match: ObjectSelection.MatchFrom(MatchFileName, IgnoreCase)), AsOf)
        {
            // A plan for review (-WhatIf) and a Batch manifest name the version of every row: list by version.
            Pinned = run.Settings.Policy.PinVersions,
        };
        BackupSelection.Watch(selection.Keys);
        using var counting = CountsAhead && run.Settings.Commit ? new CancellationTokenSource() : null;
        var count = counting is null ? Task.CompletedTask : run.CountAheadAsync(Sides!, selection, counting.Token);
        try
        {
            await run.RunAsync(PlanSources.Listings(Sides!, run.Pair!, selection, BackupSelection, run.Settings.Writes, run.Runner.Token), SinkFor(run))
                .ConfigureAwait(false);
        }
        finally
        {
            counting?.Cancel();
            await count.ConfigureAwait(false);
        }
        if (await ObjectSelection.EmptySelectionWarningAsync(BackupSelection, run.Backup.S3, BackupBucket!, Prefix, AsOf, Include, Exclude, cancellationToken)
            .ConfigureAwait(false) is { } warning)
        {
            await WriteWarningAsync(warning).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The run, for the pair the names (or the first piped row) give: the guards, the one confirmation, then (piped) the
    /// run taking rows as they come. A guard's refusal or a declined confirmation changes nothing.
    /// </summary>
    private async Task StartAsync(BucketPair pair, CancellationToken cancellationToken)
    {
        var (backup, source) = ResolveSides();
        var run = new RestoreRun(backup, source, Settings() with { SourceAccountId = SourceAccountId, BackupAccountId = BackupAccountId }, this, NewTally(), Work,
            cancellationToken);
        await run.BeginAsync(pair, cancellationToken).ConfigureAwait(false);
        if (ParameterSetName == BucketsSet)
        {
            Sides = await run.SidesAsync(BackupInventory, SourceInventory, AsOf, cancellationToken).ConfigureAwait(false);
        }
        run.Confirm(await ConfirmAsync(run).ConfigureAwait(false));
        _run = run;
        _progress = new ProgressReporter(Activity, run.Runner.Tally);
        if (ParameterSetName == ObjectsSet)
        {
            if (NewMirrorPlan(run) is not null)
            {
                _pipedMirror = new List<Candidate>();   // read every row first; the run starts at the end
                return;
            }
            StartPipedRun();
        }
    }

    private void StartPipedRun()
    {
        _piped = Channel.CreateBounded<Candidate>(new BoundedChannelOptions(FactResolver.MaxInFlight * 4) { SingleReader = true, SingleWriter = true });
        var run = _run!;
        _pipedRun = Work.Track(Task.Run(() => run.RunAsync(ReadAllAsync(_piped.Reader, run.Runner.Token), SinkFor(run))));
    }

    private static async IAsyncEnumerable<Candidate> ReadAllAsync(ChannelReader<Candidate> reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var candidate))
            {
                yield return candidate;
            }
        }
    }

    /// <summary>All rows are in: the run finishes them (with -Mirror, checks them all first, then runs).</summary>
    private async Task EndPipedAsync(CancellationToken cancellationToken)
    {
        if (_pipedMirror is { } rows)
        {
            var preflight = NewMirrorPlan(_run!)!;
            foreach (var row in rows)
            {
                preflight.Observe(row.Backup is { IsDeleteMarker: false }, row.Backup is null ? row.Source : null, remove: row.Backup is null);
            }
            preflight.Release(BackupDescription, SourceBucket);
            _pipedMirror = null;
            StartPipedRun();
            foreach (var row in rows)
            {
                await _piped!.Writer.WriteAsync(row, cancellationToken).ConfigureAwait(false);
            }
        }
        _piped?.Writer.TryComplete();
        if (_pipedRun is not null)
        {
            await _pipedRun.ConfigureAwait(false);
        }
    }

    internal (AwsSession Backup, AwsSession Source) ResolveSides()
    {
        if (ParameterSetName == BucketsSet)
        {
            ObjectSelection.RequirePast(AsOf);
        }
        var backup = BackupSession is null ? ResolveSession() : FromRecord(BackupSession);
        var source = SourceSession is null ? ResolveSession() : FromRecord(SourceSession);
        return (backup, source);
    }

    private protected string RunSummaryText(bool stopped) => _run is null ? "" : RunSummary(stopped).Text;

    private protected TransferSummary RunSummary(bool stopped) =>
        _run!.Runner.Tally.ToSummary(Activity, $"s3://{_run.Pair?.Source ?? SourceBucket}", stopped);

    private protected override string? DescribeStop() => _run is null ? null : RunSummaryText(stopped: true) + _run.Runner.StopNote() + StopAdvice;

    /// <summary>What to do after a stop, after the summary of what was done.</summary>
    private protected virtual string StopAdvice => "";

    /// <summary>Progress at most once a second, with the share done once the input is complete.</summary>
    private protected Task ReportProgressAsync() =>
        _progress?.Due() is { } progress ? WriteProgressAsync(progress) : Task.CompletedTask;

    private protected Task CompleteProgressAsync() => _progress is null ? Task.CompletedTask : WriteProgressAsync(_progress.Completed());

    Task IRunReport.OutcomeAsync(RestoreOutcome outcome) => WriteOutcomeAsync(outcome);

    void IRunReport.Note(string message) => _ = WriteVerboseAsync(message);

    Task IRunReport.WarnAsync(string message) => WriteWarningAsync(message);
}
