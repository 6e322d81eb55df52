using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Commands.Batch;
using S3Replication.Records;
using S3Replication.Transfer;

namespace S3Replication.Commands.Objects;

/// <summary>
/// What is not backed up, and what a restore would change: the source and backup listings side by side, or piped backup
/// objects against the source. With -CompareBy ComputedChecksum, the keys both hold with the same size are verified by
/// checksums S3 Batch Operations computes from the stored bytes of both (two jobs, confirmed once, waited for).
/// </summary>
[Cmdlet(VerbsData.Compare, "S3BackupBucket", DefaultParameterSetName = BucketsSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CompareResult))]
public sealed class CompareS3BackupBucketCommand : BucketPairCmdlet, IDynamicParameters
{
    private const int ProgressId = 0x5BA8;
    private readonly ComputedChecksumParameters _computed = new();
    private CompareSink? _sink;
    private ChecksumVerification? _verification;

    [Parameter]
    public SwitchParameter IncludeEqual { get; set; }

    /// <summary>-WorkBucket, -RoleArn, -Priority, -AccountId, -ChecksumAlgorithm, -Timeout: only with -CompareBy ComputedChecksum.</summary>
    public object? GetDynamicParameters() => Computing ? _computed : null;

    private bool Computing => CompareBy == CompareMode.ComputedChecksum;

    private protected override string Activity => "Compare";

    private protected override Tally NewTally() => new("objects", "compared");

    /// <summary>
    /// A compare writes nothing: it decides as a restore would, without the archive and size limits of a copy path. Its
    /// computed-checksum jobs read each backup version the plan compared, so that plan names them.
    /// </summary>
    private protected override RunSettings Settings() =>
        new(new DecisionPolicy(CompareBy) { CheckArchive = false, PinVersions = Computing }, MaxConcurrency) { Writes = false };

    /// <summary>The plan changes nothing; the jobs of -CompareBy ComputedChecksum need a role, an account and one region, checked first, and are confirmed once planned.</summary>
    private protected override async Task<bool> ConfirmAsync(RestoreRun run)
    {
        if (Computing)
        {
            _computed.Require();
            _verification = await ChecksumVerification.PrepareAsync(run,
                new VerifySettings(_computed.WorkBucket, _computed.RoleArn, _computed.Priority, _computed.AccountId, _computed.ChecksumAlgorithm), this,
                run.Runner.Token).ConfigureAwait(false);
        }
        return true;
    }

    private protected override IRestoreSink SinkFor(RestoreRun run) => _sink = new CompareSink(WriteAsync, _verification);

    private async Task WriteAsync(Decided item, PlanState state)
    {
        Run!.Runner.Record(ItemOutcome.Done);
        if (item.Failure is { } failure)
        {
            await WriteErrorAsync(failure.ToErrorRecord()).ConfigureAwait(false);
            return;
        }
        await WriteResultAsync(item, state, item.Decision.Reason, verified: null).ConfigureAwait(false);
        await ReportProgressAsync().ConfigureAwait(false);
    }

    private Task WriteResultAsync(Decided item, PlanState state, SyncReason reason, VerifiedKey? verified)
    {
        if (state == PlanState.Equal && !IncludeEqual)
        {
            return Task.CompletedTask;
        }
        var (backup, source) = (item.Candidate.PinnedBackup, item.Candidate.Source);
        return WriteObjectAsync(new CompareResult
        {
            SourceBucket = Run!.Pair!.Source,
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
            Reason = reason.ToString(),
            ComputedChecksumAlgorithm = verified is null ? null : _computed.ChecksumAlgorithm,
            SourceChecksum = verified?.Source.Checksum?.Base64,
            BackupChecksum = verified?.Backup.Checksum?.Base64,
            Error = verified?.Verdict.Error,
        });
    }

    private protected override Task WriteOutcomeAsync(RestoreOutcome outcome) => Task.CompletedTask;

    private protected override async Task CompleteAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        var verification = _verification;
        await CompleteProgressAsync().ConfigureAwait(false);
        var verified = verification is { Count: > 0 } ? await VerifyAsync(run, verification, cancellationToken).ConfigureAwait(false) : "";
        // Shown like the closing line of a restore: a compare that finds no difference writes no record, and should still say so.
        await WriteInformationAsync($"Compared s3://{run.Pair!.Source} with {BackupDescription}: " + (_sink!.Counts.Count == 0 ? "no objects"
            : string.Join(", ", _sink.Counts.OrderBy(entry => entry.Key).Select(entry => $"{entry.Value:N0} {entry.Key}"))) + $"{verified}.", "S3Replication.Summary")
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The keys both buckets hold with the same size: confirmed once, then the two compute-checksum jobs, the wait, and
    /// a result per key from both reports. Returns what the closing line adds.
    /// </summary>
    private async Task<string> VerifyAsync(RestoreRun run, ChecksumVerification verification, CancellationToken cancellationToken)
    {
        // The first objects were all refused the same permission, so the plan stopped there: no job for a partial plan.
        if (run.Runner.StopError is { } stopped)
        {
            throw stopped;
        }
        var pending = string.Format(CultureInfo.InvariantCulture, "; {0:N0} key(s) of the same size in both not verified", verification.Count);
        if (!await ShouldProcessAsync($"s3://{run.Pair!.Source} and s3://{run.Pair.Backup}", verification.Describe()).ConfigureAwait(false))
        {
            return pending + ": no job was created";
        }
        await verification.StartAsync(cancellationToken).ConfigureAwait(false);
        await WriteVerboseAsync($"Created jobs {string.Join(" and ", verification.Jobs.Select(job => job.JobId))} (account {verification.Account}, {verification.Region}); " +
            $"manifests and reports in s3://{_computed.WorkBucket}/{verification.RunFolder}/.").ConfigureAwait(false);
        var sides = new[] { $" (checksums of s3://{run.Pair.Source})", $" (checksums of s3://{run.Pair.Backup})" };
        var ended = await verification.WaitAsync(new BatchJobWaiter(), _computed.Timeout, async (round, elapsed) =>
        {
            for (var index = 0; index < round.Count; index++)
            {
                await WriteProgressAsync(BatchJobWaiter.Progress(round[index], ProgressId + index, elapsed, sides[index])).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        await foreach (var key in verification.ResultsAsync(ended, new BatchReportRetry(), cancellationToken).ConfigureAwait(false))
        {
            Run!.Runner.Record(ItemOutcome.Done);
            _sink!.Count(key.Verdict.State);
            await WriteResultAsync(key.Item, key.Verdict.State, key.Verdict.Reason, key).ConfigureAwait(false);
        }
        foreach (var warning in new[] { verification.SourceFailures, verification.BackupFailures }.Select(failures => failures.Warning(_computed.RoleArn)))
        {
            if (warning is not null)
            {
                await WriteWarningAsync(warning).ConfigureAwait(false);
            }
        }
        return $" ({verification.Count:N0} by {_computed.ChecksumAlgorithm} checksums S3 computed: jobs {string.Join(" and ", ended.Select(job => job.JobId))})";
    }

    /// <summary>The manifests' temporary files, however the compare ended (a stop while planning, a refused piped row, an error).</summary>
    private protected override void ReleaseHeld() => _verification?.Dispose();

    /// <summary>After a stop: the jobs already created run on, and how to act on them.</summary>
    private protected override string StopAdvice => _verification is { Jobs.Count: > 0 } verification ? " " + verification.RunningJobs() : "";
}
