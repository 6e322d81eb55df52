using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Commands.Objects;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Transfer;

namespace S3Replication.Commands.Batch;

/// <summary>
/// Hands a restore to S3 Batch Operations: the same run as Sync-S3BackupToSource (the same entrances, guards and
/// decision), whose sink writes the manifest of exactly what differs (each row pinned to its version) to the work
/// bucket and creates an S3PutObjectCopy job into the source bucket with the same ACL, encryption and checksum choices.
/// Archived objects never go into the copy manifest (with -RestoreArchived, into an S3InitiateRestoreObject job);
/// objects above 5 GiB are reported, or copied here with -CopyLargeObjectsLocally.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "S3BackupBatchRestore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = BucketsSet)]
[OutputType(typeof(S3BatchJobRecord), typeof(SyncResult))]
public sealed class StartS3BackupBatchRestoreCommand : RestoreCmdlet, IDynamicParameters
{
    private readonly BatchJobParameters _job = new();
    private BatchSink? _sink;
    private BatchJobSetup? _setup;
    private string _account = "";
    private string _region = "";

    /// <summary>Copy the objects above 5 GiB, which one Batch Operations copy cannot, here with multipart copies (after the job is created).</summary>
    [Parameter]
    public SwitchParameter CopyLargeObjectsLocally { get; set; }

    /// <summary>-WorkBucket, -RoleArn, -Priority, -AccountId, -NoConfirmation: the job's settings, declared once for both Start cmdlets.</summary>
    public object GetDynamicParameters() => _job;

    private protected override string Activity => "Batch restore";

    private protected override Tally NewTally() => new("objects", "copied here", would: "in the copy job");

    private protected override RunSettings Settings()
    {
        if (RestoreTier == "Expedited")
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                "Batch Operations restores from Glacier in the Bulk or Standard tier only: give -RestoreTier Bulk (the default) or Standard.", RestoreTier);
        }
        return new RunSettings(new DecisionPolicy(CompareBy) { PinVersions = true, MaxCopySize = BatchManifest.MaxCopySize }, MaxConcurrency)
        {
            Force = Force,
            // The job's role writes the copies: its account decides their ACL.
            WriterAccount = AwsNames.AccountOf(_job.RoleArn),
            AsOf = AsOf?.ToUniversalTime(),
            Copy = CopyChoices(defaultTier: "Bulk"),
        };
    }

    /// <summary>What a job needs, checked before the plan: the role Batch Operations assumes, the account and the region.</summary>
    private protected override async Task<bool> ConfirmAsync(RestoreRun run)
    {
        _job.Require();
        _setup = new BatchJobSetup(run.SourceSession, _job.WorkBucket, _job.RoleArn, WriteWarningAsync);
        await _setup.RequireBatchTrustAsync(run.Runner.Token).ConfigureAwait(false);
        _account = await BatchJobs.AccountAsync(run.SourceSession, _job.AccountId, run.Runner.Token).ConfigureAwait(false);
        _region = await _setup.RegionOfAsync(run.Pair!.Source, run.Owners.Source, run.Runner.Token).ConfigureAwait(false);
        // The job itself is confirmed once it is planned (CompleteAsync), when what it would copy is known; planning changes nothing.
        return true;
    }

    private protected override IRestoreSink SinkFor(RestoreRun run) =>
        _sink = new BatchSink(run, this, RestoreArchived, CopyLargeObjectsLocally);

    private protected override async Task WriteOutcomeAsync(RestoreOutcome outcome)
    {
        await WriteErrorsAsync(Run!.Runner.ErrorsToShow(outcome.Failure)).ConfigureAwait(false);
        if (outcome.Action is SyncAction.Copied or SyncAction.Failed)
        {
            await WriteObjectAsync(SyncResults.Of(outcome, Run!.Settings.AsOf)).ConfigureAwait(false);
        }
        await ReportProgressAsync().ConfigureAwait(false);
    }

    private protected override async Task CompleteAsync(RestoreRun run, CancellationToken cancellationToken)
    {
        var sink = _sink!;
        await CompleteProgressAsync().ConfigureAwait(false);
        // The first objects were all refused the same permission, so the plan stopped there: no job from a partial manifest.
        if (run.Runner.StopError is { } stopped)
        {
            throw stopped;
        }
        var pair = run.Pair!;
        if (sink.LargeLeftOutCount > 0)
        {
            await WriteWarningAsync(string.Format(CultureInfo.InvariantCulture,
                "{0:N0} object(s) above 5 GiB, the largest Batch Operations copies, are left out of the job ({1}{2}). Copy them here with " +
                "-CopyLargeObjectsLocally, or: Get-S3BackupObject -Bucket {3} -Prefix <key> | Sync-S3BackupToSource -SourceBucket {4} (multipart copies)",
                sink.LargeLeftOutCount, string.Join(", ", sink.LargeLeftOut), sink.LargeLeftOutCount > sink.LargeLeftOut.Count ? ", ..." : "", pair.Backup, pair.Source))
                .ConfigureAwait(false);
        }
        var archived = run.Runner.Tally[ItemOutcome.NeedsRestore];
        if (archived > 0 && sink.Restores is null)
        {
            await WriteWarningAsync($"{archived:N0} object(s) are archived (Glacier, Deep Archive) and were left out of the copy job: they need a restore from " +
                "archive first. Add -RestoreArchived to start one (an S3InitiateRestoreObject job), then run this again once they are restored.").ConfigureAwait(false);
        }
        if (sink.Copies.Rows == 0 && sink.Restores is null && sink.Large.Count == 0)
        {
            await WriteInformationAsync($"Nothing to restore: s3://{pair.Source} already has everything in {BackupDescription} that a Batch copy can restore. " +
                "No job was created.", "S3Replication.Summary").ConfigureAwait(false);
            return;
        }
        var what = Describe(sink, pair);
        if (!await ShouldProcessAsync($"s3://{pair.Source}", $"Restore through S3 Batch Operations: {what}").ConfigureAwait(false))
        {
            return;
        }
        if (sink.Copies.Rows > 0)
        {
            await CreateJobAsync(sink.Copies, "manifest.csv", sink.CopyOperation(), "restore", pair, cancellationToken).ConfigureAwait(false);
        }
        if (sink.Restores is { } restores)
        {
            await CreateJobAsync(restores, "restore-manifest.csv", new BatchInitiateRestore(run.Settings.Copy.RestoreDays, run.Settings.Copy.RestoreTier.ToUpperInvariant()),
                "restore from archive", pair, cancellationToken).ConfigureAwait(false);
        }
        if (sink.Large.Count > 0)
        {
            await WriteVerboseAsync($"Copying {sink.Large.Count:N0} object(s) above 5 GiB here (multipart copies).").ConfigureAwait(false);
            var local = new CopySink(run, this, null, BackupDescription);
            foreach (var large in sink.Large)
            {
                await local.TakeAsync(new Decided(large, new RestoreDecision(Verdict.Copy, RestoreDecider.Decide(large, run.Settings.Policy).Reason)), cancellationToken)
                    .ConfigureAwait(false);
            }
            await local.FinishAsync(cancellationToken).ConfigureAwait(false);
        }
        await ReportSummaryAsync(RunSummary(stopped: false), asRecord: false).ConfigureAwait(false);
    }

    private string Describe(BatchSink sink, BucketPair pair) => string.Format(CultureInfo.InvariantCulture,
        "{0:N0} object(s), {1}, copied by an S3PutObjectCopy job{2}{3} in account {4} ({5}) as {6}, manifests and reports in s3://{7}/s3replication/batch/, {8}",
        sink.Copies.Rows, ByteSize.Format(sink.Copies.Bytes),
        sink.Restores is { } restores ? $"; {restores.Rows:N0} archived object(s) restored from Glacier by an S3InitiateRestoreObject job" : "",
        sink.Large.Count > 0 ? $"; {sink.Large.Count:N0} object(s) above 5 GiB copied here" : "",
        _account, _region, _job.RoleArn, _job.WorkBucket, _job.NoConfirmation ? "running as soon as ready" : "waiting for Approve-S3BackupBatchJob");

    /// <summary>One job over one manifest: uploaded to the run's folder (named by the manifest's digest), then created and described.</summary>
    private async Task CreateJobAsync(ManifestFile manifestFile, string name, BatchOperation operation, string kind, BucketPair pair, CancellationToken cancellationToken)
    {
        var runFolder = $"s3replication/batch/{manifestFile.Sha256.Substring(0, 16)}";
        var manifest = await _setup!.UploadManifestAsync(manifestFile.Path, $"{runFolder}/{name}", BatchManifestLocation.Versioned, cancellationToken).ConfigureAwait(false);
        var job = new BatchJobRequest(
            BatchManifest.ClientRequestToken(manifestFile.Sha256, pair.Source, _job.RoleArn, _job.Priority, !_job.NoConfirmation, runFolder),
            _job.RoleArn, _job.Priority, !_job.NoConfirmation, $"S3Replication {kind} of {BackupDescription} to s3://{pair.Source}", manifest, null,
            $"arn:aws:s3:::{_job.WorkBucket}", runFolder, operation);
        var record = await _setup.CreateJobAsync(_account, _region, job, manifestFile.Rows, "Batch Operations", pair.Source, cancellationToken).ConfigureAwait(false);
        await WriteVerboseAsync($"Created job {record.JobId} ({kind}): {manifestFile.Rows:N0} object(s), manifest s3://{_job.WorkBucket}/{runFolder}/{name}.").ConfigureAwait(false);
        await WriteObjectAsync(record).ConfigureAwait(false);
    }

    /// <summary>The manifests' temporary files, however the command ended (a stop while planning, a refused piped row, an error).</summary>
    private protected override void ReleaseHeld() => _sink?.Dispose();

    private protected override string StopAdvice => ". No job was created.";
}
