using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Pipeline;
using S3Replication.Records;
using S3Replication.Session;

namespace S3Replication.Transfer;

/// <summary>What a restore is asked to do, whichever way its objects arrive.</summary>
internal sealed record RestoreOptions(string SourceBucket, CompareMode CompareBy, int MaxConcurrency, bool Commit, CopyOptions Copy);

/// <summary>What became of one backup object.</summary>
internal sealed record RestoreOutcome(S3ObjectRecord Item, SyncAction Action, SyncReason? Reason, long Bytes, TimeSpan Duration, S3BackupException? Failure = null);

/// <summary>How the restore service talks back to whoever runs it (a cmdlet writes records and verbose lines).</summary>
internal interface IRestoreReport
{
    Task OutcomeAsync(RestoreOutcome outcome);

    /// <summary>A line for the log: a retry, a slow-down.</summary>
    Task NoteAsync(string message);
}

/// <summary>
/// The restore, for every caller: plan (the merge-join of two listings, or piped records) → decide
/// (<see cref="RestoreDecider"/>, the same function for both) → copy (<see cref="CopyEngine"/>, as many at once as
/// <see cref="AdaptiveConcurrency"/> allows) → one typed <see cref="RestoreOutcome"/> per object. A failure of one
/// object is its outcome, never the end of the run; Ctrl+C and bugs end the run.
/// </summary>
internal sealed class RestoreService : IDisposable
{
    private readonly AwsSession _backup;
    private readonly AwsSession _source;
    private readonly RestoreOptions _options;
    private readonly IRestoreReport _report;
    private readonly CopyEngine _engine;
    private readonly ContentCheck _contentCheck;
    private readonly BoundedWorkers _workers;
    private readonly RepeatedDenial _denials = new();
    private long _planned;

    public RestoreService(AwsSession backup, AwsSession source, RestoreOptions options, IRestoreReport report)
    {
        _backup = backup;
        _source = source;
        _options = options;
        _report = report;
        ServerSide = ReferenceEquals(backup, source);
        _engine = new CopyEngine(backup.S3, source.S3, ServerSide, options.Copy);
        _contentCheck = new ContentCheck(backup.S3, source.S3, options.SourceBucket, options.CompareBy);
        Concurrency = new AdaptiveConcurrency(options.MaxConcurrency);
        Concurrency.Cut += (from, to) => _ = _report.NoteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture,
            "S3 asked to slow down: sending at most {0:N0} requests/s now (was {1:N0}).", to, from));
        _workers = new BoundedWorkers(Concurrency);
        backup.Pacer.Attach(Concurrency);
        source.Pacer.Attach(Concurrency);
    }

    /// <summary>One session reads the backup and writes the source: CopyObject, no bytes through this process.</summary>
    public bool ServerSide { get; }

    public Tally Tally { get; } = new("objects", "copied", "skipped", "failed", "need restore from archive", "would be copied", Tally.Removed, Tally.WouldRemove);

    public AdaptiveConcurrency Concurrency { get; }

    public BufferBudget Buffers => _engine.Buffers;

    /// <summary>
    /// Restores what the merge-join of the two listings says differs. The keys only the source has are left alone,
    /// or shown to <paramref name="mirror"/>, which decides their removal once the whole plan has gone by.
    /// </summary>
    public async Task RestorePlanAsync(IAsyncEnumerable<PlanItem> plan, MirrorPlan? mirror, CancellationToken cancellationToken)
    {
        await foreach (var item in plan.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (StopError is not null)
            {
                return;
            }
            mirror?.Observe(item);
            if (item is { Backup: { } backup, Decision: { } decision })
            {
                Interlocked.Increment(ref _planned);
                await ActAsync(backup, decision, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Restores one piped backup object: decided against what the source holds now (a HEAD), unless every object is copied anyway.</summary>
    public Task RestoreRecordAsync(S3ObjectRecord item, CancellationToken cancellationToken)
    {
        if (StopError is not null)
        {
            return Task.CompletedTask;
        }
        Interlocked.Increment(ref _planned);
        if (item.IsDeleteMarker)
        {
            return ActAsync(item, RestoreDecider.Decide(item, null, _options.CompareBy), cancellationToken);
        }
        Task Restore() => Guarded(item, async () =>
        {
            var current = _options.CompareBy == CompareMode.Always ? null
                : await RetryFor(item).RunAsync(token => _source.S3.RecordOrNullAsync(_options.SourceBucket, item.Key, token), cancellationToken).ConfigureAwait(false);
            var decision = await _contentCheck.DecideAsync(item, current, cancellationToken).ConfigureAwait(false);
            return decision.Copy ? await CopyAsync(item, decision.Reason, cancellationToken).ConfigureAwait(false) : Skipped(item, decision.Reason);
        }, cancellationToken);
        // A preview lists what would be copied in the order the objects came, so it runs one at a time.
        return _options.Commit ? _workers.StartAsync(Restore, cancellationToken) : Restore();
    }

    /// <summary>
    /// Set when the first copies were all denied the same permission: the run starts no further copy and should end
    /// with this one error (<see cref="RepeatedDenial"/>).
    /// </summary>
    public S3BackupException? StopError => _denials.StopError;

    /// <summary>Waits for the copies still in flight; all input has arrived, so the progress knows the total.</summary>
    public Task CompleteAsync()
    {
        Tally.SetExpected(Interlocked.Read(ref _planned));
        return _workers.WhenAllAsync();
    }

    /// <summary>How often S3 pushed back and how far the rate was cut, or null when it never did.</summary>
    public string? SlowDownSummary() => Concurrency.Cuts == 0 ? null
        : string.Format(System.Globalization.CultureInfo.InvariantCulture,
            "S3 asked to slow down {0} time(s); the restore cut its rate {1} time(s), to {2:N0} requests/s at the lowest, and ended at {3:N0} requests/s.",
            Concurrency.ThrottlesSeen, Concurrency.Cuts, Concurrency.LowestRate, Concurrency.RateLimit);

    private Task ActAsync(S3ObjectRecord item, RestoreDecision decision, CancellationToken cancellationToken)
    {
        if (!decision.Copy)
        {
            return ReportAsync(Skipped(item, decision.Reason));
        }
        if (!_options.Commit)
        {
            return ReportAsync(WouldCopy(item, decision.Reason));
        }
        return _workers.StartAsync(() => Guarded(item, () => CopyAsync(item, decision.Reason, cancellationToken), cancellationToken),
            cancellationToken);
    }

    /// <summary>
    /// -Mirror's removals, after the copies: on a versioned source each is a delete marker, whose version id the
    /// outcome carries, so removing the marker brings the object back.
    /// </summary>
    public async Task RemoveAsync(IReadOnlyList<S3ObjectRecord> removals, CancellationToken cancellationToken)
    {
        Tally.SetExpected(Interlocked.Read(ref _planned) + removals.Count);
        foreach (var item in removals)
        {
            if (StopError is not null)
            {
                return;
            }
            if (!_options.Commit)
            {
                await ReportAsync(new RestoreOutcome(item, SyncAction.WouldDelete, SyncReason.NotInBackup, 0, TimeSpan.Zero)).ConfigureAwait(false);
                continue;
            }
            await _workers.StartAsync(() => Guarded(item, async () =>
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    var removed = await RetryFor(item).RunAsync(token => _source.S3.DeleteObjectAsync(
                        new DeleteObjectRequest { BucketName = item.Bucket, Key = item.Key }, token), cancellationToken).ConfigureAwait(false);
                    return new RestoreOutcome(new S3ObjectRecord
                    {
                        Bucket = item.Bucket,
                        Key = item.Key,
                        VersionId = removed.VersionId,
                        Size = item.Size,
                        IsDeleteMarker = removed.VersionId is not null,
                    }, SyncAction.Deleted, SyncReason.NotInBackup, 0, watch.Elapsed);
                }
                catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
                {
                    return new RestoreOutcome(item, SyncAction.Failed, SyncReason.NotInBackup, 0, watch.Elapsed, error as S3BackupException ??
                        AwsErrors.ForFailure(error, "s3:DeleteObject", $"arn:aws:s3:::{item.Bucket}/{item.Key}", $"Removing {item} (-Mirror)", item));
                }
            }, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    private static RestoreOutcome WouldCopy(S3ObjectRecord item, SyncReason reason) => new(item, SyncAction.WouldCopy, reason, item.Size, TimeSpan.Zero);

    private static RestoreOutcome Skipped(S3ObjectRecord item, SyncReason reason) => new(item, SyncAction.Skipped, reason, item.Size, TimeSpan.Zero);

    private async Task<RestoreOutcome> CopyAsync(S3ObjectRecord item, SyncReason reason, CancellationToken cancellationToken)
    {
        if (!_options.Commit)
        {
            return WouldCopy(item, reason);
        }
        var watch = Stopwatch.StartNew();
        try
        {
            var copied = await RetryFor(item).RunAsync(token => _engine.CopyAsync(item, _options.SourceBucket, token), cancellationToken).ConfigureAwait(false);
            return new RestoreOutcome(item, copied.Action, copied.Action == SyncAction.Copied ? reason : copied.Reason, copied.Bytes, watch.Elapsed);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            await NarrowDenialAsync(item, error, cancellationToken).ConfigureAwait(false);
            return Failed(item, reason, error, watch.Elapsed);
        }
    }

    /// <summary>
    /// A denied CopyObject needs read on the backup and write on the source, and S3 does not say which was missing:
    /// one HEAD of the backup object tells them apart.
    /// </summary>
    private async Task NarrowDenialAsync(S3ObjectRecord item, Exception error, CancellationToken cancellationToken)
    {
        if (error is not AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } || S3Permissions.Of(error) is not { AndAlso: { } write } both)
        {
            return;
        }
        try
        {
            await _backup.S3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId },
                cancellationToken).ConfigureAwait(false);
            S3Permissions.Blame(error, write);
        }
        catch (AmazonS3Exception readError) when (readError.StatusCode == HttpStatusCode.Forbidden)
        {
            S3Permissions.Blame(error, both with { AndAlso = null });
        }
        catch (Exception other) when (RetryPolicies.S3.EndsItem(other, cancellationToken))
        {
            // Neither told apart: the message keeps naming both.
        }
    }

    /// <summary>
    /// One object that could not be restored, with the reason it was to be copied (null when even the decision
    /// failed) and the permission of the request that was refused.
    /// </summary>
    private RestoreOutcome Failed(S3ObjectRecord item, SyncReason? reason, Exception error, TimeSpan elapsed) =>
        new(item, SyncAction.Failed, reason, 0, elapsed, error as S3BackupException ?? AwsErrors.ForFailure(error,
            $"s3:GetObject{(item.VersionId is null ? "" : "Version")} on the backup and s3:PutObject on the source",
            $"arn:aws:s3:::{item.Bucket}/{item.Key} and arn:aws:s3:::{_options.SourceBucket}/{item.Key}", $"Restoring {item}", item));

    /// <summary>The S3 policy, reporting each retry of this object to the log.</summary>
    private RetryPolicy RetryFor(S3ObjectRecord item) => RetryPolicies.S3 with
    {
        OnRetry = retry =>
        {
            // Throttling that outlasted the SDK's own retries; where the HTTP layer is ours it was heard there already.
            if (retry.Kind == FailureKind.Throttled)
            {
                Concurrency.Throttled();
            }
            _ = _report.NoteAsync(retry.Describe($"Restoring {item}"));
        },
    };

    /// <summary>Runs the work for one object; whatever ends only this object becomes its Failed outcome.</summary>
    private async Task Guarded(S3ObjectRecord item, Func<Task<RestoreOutcome>> work, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        RestoreOutcome outcome;
        try
        {
            outcome = await work().ConfigureAwait(false);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            outcome = Failed(item, null, error, watch.Elapsed);
        }
        await ReportAsync(outcome).ConfigureAwait(false);
    }

    private Task ReportAsync(RestoreOutcome outcome)
    {
        if (outcome.Action is SyncAction.Copied or SyncAction.Failed)
        {
            _denials.Observe(outcome.Failure);
        }
        Tally.Add(TallyName(outcome.Action), outcome.Action == SyncAction.Copied ? outcome.Bytes : 0);
        return _report.OutcomeAsync(outcome);
    }

    private static string TallyName(SyncAction action) => action switch
    {
        SyncAction.Copied => "copied",
        SyncAction.Skipped => "skipped",
        SyncAction.Failed => "failed",
        SyncAction.NeedsRestore => "need restore from archive",
        SyncAction.Deleted => Tally.Removed,
        SyncAction.WouldDelete => Tally.WouldRemove,
        _ => "would be copied",
    };

    public void Dispose()
    {
        _backup.Pacer.Detach(Concurrency);
        _source.Pacer.Detach(Concurrency);
        _workers.Dispose();
    }
}
