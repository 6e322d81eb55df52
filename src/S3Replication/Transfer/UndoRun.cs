using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;

namespace S3Replication.Transfer;

/// <summary>What became of one restore row in an undo; an UndoResult once the cmdlet writes it.</summary>
internal enum UndoAction
{
    Undone,
    WouldUndo,
    LeftAlone,
    NotUndoable,
    Failed,

    /// <summary>The row changed nothing, or repeats another: counted, no record.</summary>
    Passed,
}

/// <summary>One row's outcome: the version removed (or that would be, or was left), and what is current after it.</summary>
internal sealed record UndoOutcome(UndoRow Row, UndoAction Action, UndoReason? Reason)
{
    /// <summary>The restore's version as the key's history lists it (Undone, WouldUndo), where it was listed.</summary>
    public KeyVersion? Removed { get; init; }

    /// <summary>The key's current version after the undo (Undone, WouldUndo) or as found (LeftAlone); null when it has none.</summary>
    public KeyVersion? Current { get; init; }

    public S3BackupException? Failure { get; init; }

    /// <summary>When the outcome was reached (UTC).</summary>
    public DateTime Time { get; init; } = DateTime.UtcNow;
    public TimeSpan Duration { get; init; }
}

/// <summary>How an undo talks back to whoever runs it: records and errors, and lines for the log.</summary>
internal interface IUndoReport
{
    Task OutcomeAsync(UndoOutcome outcome);

    /// <summary>A line for the log (a retry, a slow-down); called from workers.</summary>
    void Note(string message);
}

/// <summary>What the rows ask of one source bucket: the one confirmation of that bucket describes it.</summary>
internal sealed record BucketUndo(string Bucket, int Keys, int Versions, int Markers);

/// <summary>
/// One undo of restores: rows are taken as they come (the ones that changed nothing, or cannot be undone, are settled at
/// once, without a request), the others are grouped by source bucket and key; then each key is one item of the
/// <see cref="ItemRunner"/> (bounded, paced, each request retried, counted, stoppable): its versions are read, planned
/// (<see cref="UndoPlanner"/>) and the removals made, newest first, one request each. Rows wait until every row is in,
/// so that a key named twice is planned once and each source bucket is confirmed once, before anything is removed; the
/// rows held are small (a few hundred bytes each: about 200 MB for a million-key restore).
/// </summary>
internal sealed class UndoRun : IDisposable
{
    private readonly IUndoReport _report;
    private readonly SortedDictionary<string, SortedDictionary<string, List<UndoRow>>> _buckets = new(StringComparer.Ordinal);
    private long _rows;
    private long _leftAlone;
    private long _notUndoable;
    private long _failed;
    private string? _owner;

    public UndoRun(int maxConcurrency, IUndoReport report, InFlight? owner, CancellationToken cancellationToken)
    {
        _report = report;
        Runner = new ItemRunner(maxConcurrency, new Tally("keys", "undone", failed: "not undone", would: "would be undone"), report.Note, owner, cancellationToken);
    }

    public ItemRunner Runner { get; }

    public Tally Tally => Runner.Tally;

    /// <summary>The source buckets with something to remove, in order, with what each confirmation names.</summary>
    public IReadOnlyList<BucketUndo> Buckets => _buckets.Select(bucket =>
    {
        var rows = bucket.Value.Values.SelectMany(key => key).ToList();
        return new BucketUndo(bucket.Key, bucket.Value.Count, rows.Count(row => !row.AddedMarker), rows.Count(row => row.AddedMarker));
    }).ToList();

    /// <summary>
    /// Takes one row. One that changed nothing is counted (Passed); one that cannot be undone is reported now; the
    /// others wait for <see cref="RunAsync"/>.
    /// </summary>
    public async Task AddAsync(UndoRow row)
    {
        _rows++;
        if (UndoPlanner.WithoutHistory(row) is { } settled)
        {
            await ReportAsync(Outcome(settled)).ConfigureAwait(false);
            return;
        }
        if (!_buckets.TryGetValue(row.SourceBucket, out var keys))
        {
            _buckets[row.SourceBucket] = keys = new SortedDictionary<string, List<UndoRow>>(KeyOrder.Instance);
        }
        if (!keys.TryGetValue(row.Key, out var rows))
        {
            keys[row.Key] = rows = new List<UndoRow>(1);
        }
        rows.Add(row);
    }

    /// <summary>
    /// Undoes every key waiting, bucket by bucket in key order, as many keys at once as the runner allows; removes
    /// versions only in <paramref name="committed"/> buckets (the others say what would be removed). Returns when no
    /// request of the run is running; a stop starts no further key.
    /// </summary>
    /// <param name="owner">The account every request expects to own the source buckets (x-amz-expected-bucket-owner), where known.</param>
    public async Task RunAsync(IAmazonS3 s3, IReadOnlyCollection<string> committed, string? owner)
    {
        _owner = owner;
        Tally.SetExpected(_rows);
        try
        {
            foreach (var bucket in _buckets)
            {
                var commit = committed.Contains(bucket.Key);
                foreach (var key in bucket.Value)
                {
                    var (name, rows) = (bucket.Key, key.Value);
                    if (!await Runner.StartAsync(token => UndoKeyAsync(s3, name, key.Key, rows, commit, token)).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            await Runner.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Every row is in: no key waits for a run (nothing was piped, or nothing left needs a request).</summary>
    public void Settle() => Tally.SetExpected(_rows);

    /// <summary>"2 changed since the restore or undone already, 1 not undoable": the not-undone count broken down, or null.</summary>
    public string? NotUndoneBreakdown()
    {
        var parts = new List<string>();
        void Add(long count, string what)
        {
            if (count > 0)
            {
                parts.Add(string.Format(CultureInfo.InvariantCulture, "{0:N0} {1}", count, what));
            }
        }
        Add(Interlocked.Read(ref _leftAlone), "changed since the restore or undone already (left alone)");
        Add(Interlocked.Read(ref _notUndoable), "not undoable");
        Add(Interlocked.Read(ref _failed), "failed");
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    private async Task UndoKeyAsync(IAmazonS3 s3, string bucket, string key, IReadOnlyList<UndoRow> rows, bool commit, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        IReadOnlyList<KeyVersion> history;
        try
        {
            history = await HistoryAsync(s3, bucket, key, rows, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            foreach (var row in rows)
            {
                var failure = error as S3BackupException ?? AwsErrors.ForFailure(error, "s3:ListBucketVersions", $"arn:aws:s3:::{bucket}",
                    $"Reading the versions of {row.Uri} (to check it is still as the restore left it)", row.Origin ?? row.Uri);
                await ReportAsync(new UndoOutcome(row, UndoAction.Failed, null) { Failure = failure, Duration = watch.Elapsed }).ConfigureAwait(false);
            }
            return;
        }
        S3BackupException? blocked = null;
        foreach (var step in UndoPlanner.PlanKey(rows, history))
        {
            if (step.Verdict != UndoVerdict.Remove)
            {
                await ReportAsync(Outcome(step) with { Duration = watch.Elapsed }).ConfigureAwait(false);
                continue;
            }
            var removed = step.Current!;
            var planned = new UndoOutcome(step.Row, UndoAction.WouldUndo, step.Reason) { Removed = removed, Current = step.After };
            if (!commit)
            {
                await ReportAsync(planned with { Duration = watch.Elapsed }).ConfigureAwait(false);
                continue;
            }
            var what = $"Removing {(step.Row.AddedMarker ? "the delete marker" : "the version")} {removed.VersionId} of {step.Row.Uri}";
            if (blocked is not null)
            {
                // The newer version of this key stayed, so this one is not the current one: removing it would not undo anything.
                var notTried = new S3BackupException(blocked.ErrorId, blocked.Category,
                    $"{what} was not tried: removing the newer version the restore wrote failed, so this one is not current. {blocked.Message}", step.Row.Origin ?? step.Row.Uri, blocked);
                await ReportAsync(planned with { Action = UndoAction.Failed, Current = null, Failure = notTried, Duration = watch.Elapsed }).ConfigureAwait(false);
                continue;
            }
            try
            {
                await Runner.RetryFor(what).RunAsync(token => s3.DeleteObjectAsync(
                    new DeleteObjectRequest { BucketName = bucket, Key = key, VersionId = removed.VersionId, ExpectedBucketOwner = _owner }, token), cancellationToken).ConfigureAwait(false);
                await ReportAsync(planned with { Action = UndoAction.Undone, Time = DateTime.UtcNow, Duration = watch.Elapsed }).ConfigureAwait(false);
            }
            catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
            {
                if (S3Permissions.Of(error) is null)
                {
                    // Named on the exception, so the error says it and the run's denial watch sees the same permission for every key.
                    S3Permissions.Blame(error, new IamPermission("s3:DeleteObjectVersion", $"arn:aws:s3:::{bucket}/{key}"));
                }
                blocked = error as S3BackupException ?? AwsErrors.ForFailure(error, "s3:DeleteObjectVersion", $"arn:aws:s3:::{bucket}/{key}", what,
                    step.Row.Origin ?? step.Row.Uri);
                await ReportAsync(planned with { Action = UndoAction.Failed, Current = removed, Failure = blocked, Duration = watch.Elapsed }).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The key's versions, newest first, as far as planning needs them. ListObjectVersions rather than HeadObject: one
    /// request answers for both kinds of row, since it lists delete markers with their version ids (a HEAD of a key whose
    /// current version is a marker answers 404, and Ceph RGW leaves out even the x-amz-delete-marker header), and it shows
    /// the version under the restore's, which becomes current (the record says what the key holds after the undo), and
    /// whether the restore's version is still there at all (changed since, or undone already). The cost is
    /// s3:ListBucketVersions on the bucket where a HEAD would need s3:GetObjectVersion on the objects. The key's own
    /// versions come first: with Prefix = key, every other key listed is longer and sorts after it, and the listing
    /// stops at the first of them (keys compared exactly, byte for byte).
    /// </summary>
    private async Task<IReadOnlyList<KeyVersion>> HistoryAsync(IAmazonS3 s3, string bucket, string key, IReadOnlyList<UndoRow> rows, CancellationToken cancellationToken)
    {
        var listed = new List<KeyVersion>();
        var request = new ListVersionsRequest { BucketName = bucket, Prefix = key, MaxKeys = Math.Min(1000, rows.Count + 1), ExpectedBucketOwner = _owner };
        var retry = Runner.RetryFor($"Reading the versions of s3://{bucket}/{key}");
        while (true)
        {
            var page = await retry.RunAsync(token => s3.ListVersionsAsync(request, token), cancellationToken).ConfigureAwait(false);
            foreach (var version in page.Versions ?? new List<S3ObjectVersion>())
            {
                if (!string.Equals(version.Key, key, StringComparison.Ordinal))
                {
                    return listed;
                }
                listed.Add(new KeyVersion(version.VersionId, version.IsDeleteMarker == true, version.LastModified?.ToUniversalTime(), version.Size ?? 0));
            }
            if (page.IsTruncated != true || !UndoPlanner.NeedsMore(rows, listed))
            {
                return listed;
            }
            request.KeyMarker = page.NextKeyMarker;
            request.VersionIdMarker = page.NextVersionIdMarker;
            request.MaxKeys = 1000;
        }
    }

    private static UndoOutcome Outcome(UndoStep step) => step.Verdict switch
    {
        UndoVerdict.Pass => new UndoOutcome(step.Row, UndoAction.Passed, step.Reason),
        UndoVerdict.LeftAlone => new UndoOutcome(step.Row, UndoAction.LeftAlone, step.Reason) { Current = step.Current, Failure = UndoPlanner.Explain(step) },
        UndoVerdict.NotUndoable => new UndoOutcome(step.Row, UndoAction.NotUndoable, step.Reason) { Current = step.Current, Failure = UndoPlanner.Explain(step) },
        _ => throw new InvalidOperationException($"A removal of {step.Row.Uri} is not settled without its key's versions."),
    };

    /// <summary>Counts the outcome (removals and failed requests also in the runner's denial watch), then hands it on.</summary>
    private Task ReportAsync(UndoOutcome outcome)
    {
        switch (outcome.Action)
        {
            case UndoAction.Undone:
                Runner.Record(ItemOutcome.Done, outcome.Removed?.Size ?? 0);
                break;
            case UndoAction.Failed:
                Interlocked.Increment(ref _failed);
                Runner.Record(ItemOutcome.Failed, 0, outcome.Failure);
                break;
            case UndoAction.WouldUndo:
                Tally.Add(ItemOutcome.Would);
                break;
            case UndoAction.LeftAlone:
                Interlocked.Increment(ref _leftAlone);
                Tally.Add(ItemOutcome.Failed);
                break;
            case UndoAction.NotUndoable:
                Interlocked.Increment(ref _notUndoable);
                Tally.Add(ItemOutcome.Failed);
                break;
            default:
                Tally.Add(ItemOutcome.Skipped);
                break;
        }
        return _report.OutcomeAsync(outcome);
    }

    public void Dispose() => Runner.Dispose();
}
