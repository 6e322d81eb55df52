using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// Undoes exactly what a restore did on a versioned source, from the restore's own records: removes each version it
/// created and each delete marker -Mirror added, where that is still the key's current version; leaves every key that
/// changed since alone, with an error naming it. Asks once per source bucket.
/// </summary>
[Cmdlet(VerbsCommon.Undo, "S3BackupRestore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(UndoResult), typeof(TransferSummary))]
public sealed class UndoS3BackupRestoreCommand : ParallelCmdlet, IUndoReport
{
    /// <summary>The records a restore wrote (SyncResult), piped, or read back with Import-Csv or Import-Clixml.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    [UndoInput]
    public SyncResult[] InputObject { get; set; } = Array.Empty<SyncResult>();

    /// <summary>The account that owns the source buckets: every request to them says so (x-amz-expected-bucket-owner); by default the session's account.</summary>
    [Parameter]
    [ValidatePattern("^[0-9]{12}$")]
    public string? SourceAccountId { get; set; }

    /// <summary>Write one TransferSummary record at the end instead of a result per key.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    private const string Activity = "Undo";
    private readonly SortedSet<string> _sourceBuckets = new(StringComparer.Ordinal);
    private UndoRun? _run;
    private ProgressReporter? _progress;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        _run = new UndoRun(MaxConcurrency, this, Work, cancellationToken);
        _progress = new ProgressReporter(Activity, _run.Tally);
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var result in InputObject)
        {
            await PerItemAsync(async () =>
            {
                var record = PSObject.AsPSObject(result);
                var row = RestoreRow.Read(name => record.Properties[name]?.Value) ?? throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidData,
                    $"The record of '{result.Key}' names no BackupBucket: it is not a record a restore wrote, so it says nothing to undo.", result);
                var undo = UndoRow.From(row, result);
                if (undo.SourceBucket.Length > 0)
                {
                    _sourceBuckets.Add(undo.SourceBucket);
                }
                await _run!.AddAsync(undo).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every row is in: the session is resolved (read-only), then each source bucket is confirmed once, before anything
    /// is removed; then the keys are undone together, removing only in the buckets confirmed.
    /// </summary>
    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        var run = _run!;
        var buckets = run.Buckets;
        if (buckets.Count == 0)
        {
            run.Settle();
        }
        else
        {
            var session = ResolveSession();
            var s3 = session.S3;
            var owner = SourceAccountId ?? await BucketOwnership.AccountOfAsync(session, message => _ = WriteVerboseAsync(message), cancellationToken).ConfigureAwait(false);
            foreach (var bucket in buckets)
            {
                await BucketOwnership.RequireOwnerAsync(s3, bucket.Bucket, owner, "-SourceAccountId", cancellationToken).ConfigureAwait(false);
            }
            var committed = new List<string>();
            foreach (var bucket in buckets)
            {
                if (await ShouldProcessAsync($"s3://{bucket.Bucket}", Describe(bucket)).ConfigureAwait(false))
                {
                    committed.Add(bucket.Bucket);
                }
            }
            await WriteVerboseAsync($"Undoing the restore in {string.Join(", ", buckets.Select(bucket => $"s3://{bucket.Bucket} ({bucket.Keys:N0} key(s))"))}: " +
                $"each key's versions read with ListObjectVersions, then its restore's versions removed newest first, up to {MaxConcurrency} keys at once" +
                (committed.Count < buckets.Count ? $"; nothing is removed in {string.Join(", ", buckets.Select(bucket => bucket.Bucket).Except(committed).Select(name => "s3://" + name))} (-WhatIf, or not confirmed)." : "."))
                .ConfigureAwait(false);
            await WithHeldErrorsAsync(run.Runner, () => run.RunAsync(s3, committed, owner)).ConfigureAwait(false);
        }
        if (run.Tally.Total == 0)
        {
            return;
        }
        await WriteProgressAsync(_progress!.Completed()).ConfigureAwait(false);
        if (run.Runner.SlowDownSummary() is { } slowed)
        {
            await WriteVerboseAsync(slowed).ConfigureAwait(false);
        }
        if (run.Tally[ItemOutcome.Skipped] > 0)
        {
            await WriteVerboseAsync(string.Format(CultureInfo.InvariantCulture,
                "{0:N0} record(s) changed nothing (WouldCopy, Skipped, Failed, NeedsRestore, TooLarge, WouldDelete) or repeated another: passed over.", run.Tally[ItemOutcome.Skipped]))
                .ConfigureAwait(false);
        }
        var stopped = run.Runner.StopError;
        await ReportSummaryAsync(RunSummary(stopped is not null), Summary).ConfigureAwait(false);
        run.Dispose();
        if (stopped is not null)
        {
            throw stopped;
        }
    }

    /// <summary>What the one -WhatIf/-Confirm of a source bucket names.</summary>
    private static string Describe(BucketUndo bucket)
    {
        var parts = new List<string>();
        if (bucket.Versions > 0)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, "the {0:N0} object version(s) the restore created", bucket.Versions));
        }
        if (bucket.Markers > 0)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, "the {0:N0} delete marker(s) -Mirror added", bucket.Markers));
        }
        return string.Format(CultureInfo.InvariantCulture,
            "Undo a restore: remove {0}, on {1:N0} key(s), each only while it is still the key's current version (the previous version becomes current again)",
            string.Join(" and ", parts), bucket.Keys);
    }

    private TransferSummary RunSummary(bool stopped)
    {
        var run = _run!;
        var target = _sourceBuckets.Count == 0 ? "(no source bucket)" : string.Join(", ", _sourceBuckets.Select(bucket => "s3://" + bucket));
        var summary = run.Tally.ToSummary(Activity, target, stopped);
        summary.Text = $"Undo of the restore in {target}{(stopped ? " (stopped early)" : "")}: {run.Tally.Summary()}" +
            (run.NotUndoneBreakdown() is { } breakdown ? $". Not undone: {breakdown}." : "");
        return summary;
    }

    private protected override string? DescribeStop() => _run is null ? null
        : RunSummary(stopped: true).Text + " Running the same undo again does the rest; the keys undone already are then left alone (VersionGone).";

    async Task IUndoReport.OutcomeAsync(UndoOutcome outcome)
    {
        // A failed removal is held while the first ones might all be refused the same permission; the explanations of
        // keys left alone are shown at once — as errors, except a version undone already: running the same undo again is
        // how a stopped undo is finished, so those keys are expected, and say so in the verbose stream and their records.
        if (outcome.Action == UndoAction.Failed)
        {
            await WriteErrorsAsync(_run!.Runner.ErrorsToShow(outcome.Failure)).ConfigureAwait(false);
        }
        else if (outcome.Failure is { } explained && outcome.Reason == UndoReason.VersionGone)
        {
            await WriteVerboseAsync(explained.Message).ConfigureAwait(false);
        }
        else if (outcome.Failure is { } refused)
        {
            await WriteErrorAsync(refused.ToErrorRecord()).ConfigureAwait(false);
        }
        if (outcome.Action == UndoAction.Passed)
        {
            if (outcome.Reason == UndoReason.Duplicate)
            {
                await WriteVerboseAsync($"{outcome.Row.Uri}: a second record of version {outcome.Row.SourceVersionId}, counted once.").ConfigureAwait(false);
            }
        }
        else if (!Summary)
        {
            await WriteObjectAsync(ResultOf(outcome)).ConfigureAwait(false);
        }
        if (_progress!.Due() is { } progress)
        {
            await WriteProgressAsync(progress).ConfigureAwait(false);
        }
    }

    void IUndoReport.Note(string message) => _ = WriteVerboseAsync(message);

    /// <summary>An undo's typed outcome as the record a user sees and exports: the one place its enums become text.</summary>
    private static UndoResult ResultOf(UndoOutcome outcome) => new()
    {
        Key = outcome.Row.Key,
        Action = outcome.Action.ToString(),
        Reason = outcome.Reason?.ToString(),
        SourceBucket = outcome.Row.SourceBucket,
        RestoreAction = outcome.Row.Action.ToString(),
        SourceVersionId = outcome.Row.SourceVersionId,
        CurrentVersionId = outcome.Current?.VersionId,
        CurrentIsDeleteMarker = outcome.Current?.IsDeleteMarker ?? false,
        Size = outcome.Removed?.Size ?? 0,
        Time = outcome.Time,
        Seconds = Math.Round(outcome.Duration.TotalSeconds, 3),
        Error = outcome.Failure?.Message,
    };
}
