using System;
using System.Diagnostics;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>
/// The sink that restores here: copies (<see cref="CopyEngine"/>, as many at once as the run's
/// <see cref="ItemRunner"/> allows), restores of archived objects from Glacier where asked, and -Mirror's removals once
/// every copy has finished; under -WhatIf it only says what it would do, in plan order. Every key taken becomes one
/// <see cref="RestoreOutcome"/>.
/// </summary>
internal sealed class CopySink : IRestoreSink
{
    private readonly RestoreRun _run;
    private readonly IRunReport _report;
    private readonly MirrorPlan? _mirror;
    private readonly string _mirrorFrom;
    private long _planned;

    /// <param name="mirrorFrom">What the backup side is, for -Mirror's refusals ("s3://backup/prefix as of …").</param>
    public CopySink(RestoreRun run, IRunReport report, MirrorPlan? mirror, string mirrorFrom)
    {
        _run = run;
        _report = report;
        _mirror = mirror;
        _mirrorFrom = mirrorFrom;
        Engine = new CopyEngine(run.Backup.S3, run.SourceSession.S3, run.ServerSide, run.Settings.Copy, run.Owners);
    }

    public CopyEngine Engine { get; }

    private string SourceBucket => _run.Pair!.Source;

    private bool Commit => _run.Settings.Commit;

    public async Task TakeAsync(Decided item, CancellationToken cancellationToken)
    {
        _mirror?.Observe(item);
        var (candidate, decision) = (item.Candidate, item.Decision);
        if (decision.Verdict is Verdict.Leave or Verdict.Remove && item.Failure is null)
        {
            return;   // a key only the source has: left alone, or removed by -Mirror once every copy is done
        }
        _run.Runner.Tally.SetExpected(++_planned);
        var backup = candidate.PinnedBackup;
        if (item.Failure is { } failure)
        {
            await ReportAsync(Outcome(candidate, SyncAction.Failed, decision.Need == Need.None ? decision.Reason : null) with { Failure = failure }).ConfigureAwait(false);
            return;
        }
        switch (decision.Verdict)
        {
            case Verdict.Copy when Commit:
                await StartAsync(candidate, (watch, token) => CopyAsync(candidate, backup!, decision.Reason, watch, token)).ConfigureAwait(false);
                return;
            case Verdict.Copy:
                await ReportAsync(Outcome(candidate, SyncAction.WouldCopy, decision.Reason) with { Bytes = backup!.Size }).ConfigureAwait(false);
                return;
            case Verdict.NeedsRestore when decision.Reason == SyncReason.Archived && _run.Settings.Copy.RestoreArchived && Commit:
                await StartAsync(candidate, (watch, token) => StartArchiveRestoreAsync(candidate, backup!, watch, token)).ConfigureAwait(false);
                return;
            case Verdict.NeedsRestore or Verdict.TooLarge:
                await ReportAsync(Outcome(candidate, decision.Verdict == Verdict.TooLarge ? SyncAction.TooLarge : SyncAction.NeedsRestore, decision.Reason))
                    .ConfigureAwait(false);
                return;
            default:
                await ReportAsync(Outcome(candidate, SyncAction.Skipped, decision.Reason) with { Bytes = backup?.Size ?? 0 }).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>Waits for the copies; then, unless the run was stopped, -Mirror's removals, all or none.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        await _run.Runner.CompleteAsync().ConfigureAwait(false);
        if (_mirror is null || _run.Runner.Stopped)
        {
            return;
        }
        var removals = _mirror.Release(_mirrorFrom, SourceBucket);
        _report.Note($"-Mirror: {removals.Count:N0} object(s) of s3://{SourceBucket} are not in {_mirrorFrom}.");
        if (_mirror.RemovesWholeSelection)
        {
            await _report.WarnAsync($"{_mirrorFrom} selected nothing: -Mirror -Force removes all {removals.Count:N0} object(s) of s3://{SourceBucket} in the selection.")
                .ConfigureAwait(false);
        }
        _run.Runner.Tally.SetExpected(_planned += removals.Count);
        foreach (var removal in removals)
        {
            var candidate = new Candidate(removal.Key, null, removal);
            if (!Commit)
            {
                await ReportAsync(Outcome(candidate, SyncAction.WouldDelete, SyncReason.MissingInBackup)).ConfigureAwait(false);
            }
            else if (!await StartAsync(candidate, (watch, token) => RemoveAsync(candidate, watch, token)).ConfigureAwait(false))
            {
                break;
            }
        }
        await _run.Runner.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Starts one item; the work makes its outcome when it ends, with the time it took from <paramref name="work"/>'s watch.</summary>
    private Task<bool> StartAsync(Candidate candidate, Func<Stopwatch, CancellationToken, Task<RestoreOutcome>> work) =>
        _run.Runner.StartAsync(async token =>
        {
            var watch = Stopwatch.StartNew();
            RestoreOutcome outcome;
            try
            {
                outcome = await work(watch, token).ConfigureAwait(false);
            }
            catch (Exception error) when (RetryPolicies.S3.EndsItem(error, token))
            {
                outcome = Outcome(candidate, SyncAction.Failed, null) with { Failure = Explain(candidate, error), Duration = watch.Elapsed };
            }
            await ReportAsync(outcome).ConfigureAwait(false);
        });

    private async Task<RestoreOutcome> CopyAsync(Candidate candidate, S3ObjectRecord backup, SyncReason reason, Stopwatch watch, CancellationToken cancellationToken)
    {
        try
        {
            var copied = await Engine.CopyAsync(backup, SourceBucket, _run.Runner.RetryFor(() => $"Restoring {backup}"), cancellationToken).ConfigureAwait(false);
            return copied.Action == SyncAction.Copied
                ? Outcome(candidate, SyncAction.Copied, reason) with
                {
                    BackupVersionId = copied.VersionRead ?? backup.VersionId, SourceVersionId = copied.VersionCreated, Bytes = copied.Bytes, Duration = watch.Elapsed,
                }
                : Outcome(candidate, SyncAction.NeedsRestore, SyncReason.Archived) with { Duration = watch.Elapsed };
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            await NarrowDenialAsync(backup, error, cancellationToken).ConfigureAwait(false);
            return Outcome(candidate, SyncAction.Failed, reason) with { Failure = Explain(candidate, error), Duration = watch.Elapsed };
        }
    }

    private async Task<RestoreOutcome> StartArchiveRestoreAsync(Candidate candidate, S3ObjectRecord backup, Stopwatch watch, CancellationToken cancellationToken)
    {
        var started = await Engine.StartArchiveRestoreAsync(backup, _run.Runner.RetryFor(() => $"Restoring {backup} from Glacier"), cancellationToken).ConfigureAwait(false);
        return Outcome(candidate, SyncAction.NeedsRestore, started) with { Duration = watch.Elapsed };
    }

    /// <summary>
    /// One -Mirror removal: on a versioned source a delete marker, whose version id the outcome carries, so removing the
    /// marker (Undo-S3BackupRestore) brings the object back.
    /// </summary>
    private async Task<RestoreOutcome> RemoveAsync(Candidate candidate, Stopwatch watch, CancellationToken cancellationToken)
    {
        try
        {
            var removed = await _run.Runner.RetryFor($"Removing s3://{SourceBucket}/{candidate.Key} (-Mirror)").RunAsync(token => _run.SourceSession.S3.DeleteObjectAsync(
                new DeleteObjectRequest { BucketName = SourceBucket, Key = candidate.Key, ExpectedBucketOwner = _run.Owners.Source }, token), cancellationToken).ConfigureAwait(false);
            return Outcome(candidate, SyncAction.Deleted, SyncReason.MissingInBackup) with
            {
                SourceVersionId = string.IsNullOrEmpty(removed.VersionId) ? null : removed.VersionId, Duration = watch.Elapsed,
            };
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            return Outcome(candidate, SyncAction.Failed, SyncReason.MissingInBackup) with
            {
                Duration = watch.Elapsed,
                Failure = error as S3BackupException ?? AwsErrors.ForFailure(error, "s3:DeleteObject", $"arn:aws:s3:::{SourceBucket}/{candidate.Key}",
                    $"Removing s3://{SourceBucket}/{candidate.Key} (-Mirror)", candidate.Key),
            };
        }
    }

    /// <summary>
    /// A denied CopyObject needs read on the backup and write on the source, and S3 does not say which was missing:
    /// one HEAD of the backup object tells them apart.
    /// </summary>
    private async Task NarrowDenialAsync(S3ObjectRecord backup, Exception error, CancellationToken cancellationToken)
    {
        if (error is not AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } || S3Permissions.Of(error) is not { AndAlso: { } write } both)
        {
            return;
        }
        try
        {
            await _run.Backup.S3.GetObjectMetadataAsync(new GetObjectMetadataRequest
            {
                BucketName = backup.Bucket, Key = backup.Key, VersionId = backup.VersionId, ExpectedBucketOwner = _run.Owners.Backup,
            }, cancellationToken).ConfigureAwait(false);
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

    private S3BackupException Explain(Candidate candidate, Exception error) => error as S3BackupException ?? AwsErrors.ForFailure(error,
        $"s3:GetObject{(candidate.Backup?.VersionId is null ? "" : "Version")} on the backup and s3:PutObject on the source",
        $"arn:aws:s3:::{candidate.Backup?.Bucket}/{candidate.Key} and arn:aws:s3:::{SourceBucket}/{candidate.Key}", $"Restoring {candidate.Backup}",
        candidate.Backup ?? (object)candidate.Key);

    private RestoreOutcome Outcome(Candidate candidate, SyncAction action, SyncReason? reason) => RunOutcomes.For(_run, candidate, action, reason);

    private Task ReportAsync(RestoreOutcome outcome) => RunOutcomes.ReportAsync(_run, _report, outcome);
}

/// <summary>Outcomes as every sink makes and counts them.</summary>
internal static class RunOutcomes
{
    /// <summary>An outcome for a key of the run, naming both buckets and the backup version as far as it is known.</summary>
    public static RestoreOutcome For(RestoreRun run, Candidate candidate, SyncAction action, SyncReason? reason)
    {
        var backup = candidate.PinnedBackup;
        return new RestoreOutcome(candidate.Key, action, reason)
        {
            BackupBucket = run.Pair!.Backup,
            BackupVersionId = backup?.VersionId,
            SourceBucket = run.Pair.Source,
            Size = backup?.Size ?? candidate.Source?.Size ?? 0,
        };
    }

    /// <summary>Counts the outcome in the run's tally (and its denial watch), then hands it to the report.</summary>
    public static Task ReportAsync(RestoreRun run, IRunReport report, RestoreOutcome outcome)
    {
        run.Runner.Record(outcome.Counted, outcome.Action == SyncAction.Copied ? outcome.Bytes : 0, outcome.Failure);
        return report.OutcomeAsync(outcome);
    }
}
