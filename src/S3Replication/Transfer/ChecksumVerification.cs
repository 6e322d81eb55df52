using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer.Inventory;

namespace S3Replication.Transfer;

/// <summary>What -CompareBy ComputedChecksum's jobs are given: where manifests and reports go, the role, priority and account, the algorithm.</summary>
internal sealed record VerifySettings(string WorkBucket, string RoleArn, int Priority, string? AccountId, string Algorithm);

/// <summary>One key verified: the compare's decision, the computed checksums' verdict, and what each side's job said.</summary>
internal sealed record VerifiedKey(Decided Item, ChecksumVerdict Verdict, ChecksumTask Source, ChecksumTask Backup);

/// <summary>
/// A key to verify as the plan decided it, with what its result needs: the source's object and the backup's (pinned to
/// the version compared), and the decision.
/// </summary>
internal sealed record PlannedKey(string Key, S3ObjectRecord Source, S3ObjectRecord Backup, RestoreDecision Decision)
{
    public static PlannedKey Of(Decided item) => new(item.Candidate.Key, item.Candidate.Source!, item.Candidate.PinnedBackup!, item.Decision);

    /// <summary>The key as the plan decided it, for its result (the backup's object is the one pinned).</summary>
    public Decided ToDecided() => new(new Candidate(Key, Backup, Source), Decision);
}

/// <summary>
/// A planned key in a sorted run: the key, the decision (verdict, reason, need), then both objects in
/// <see cref="RecordRun"/>'s format; the buckets are the pair's.
/// </summary>
internal sealed class PlannedKeyFormat : IRunFormat<PlannedKey>
{
    private readonly RecordRun _source;
    private readonly RecordRun _backup;

    public PlannedKeyFormat(string sourceBucket, string backupBucket) => (_source, _backup) = (new RecordRun(sourceBucket), new RecordRun(backupBucket));

    public void Write(BinaryWriter writer, PlannedKey item)
    {
        writer.Write(item.Key);
        writer.Write((int)item.Decision.Verdict);
        writer.Write((int)item.Decision.Reason);
        writer.Write((int)item.Decision.Need);
        _source.Write(writer, item.Source);
        _backup.Write(writer, item.Backup);
    }

    public PlannedKey Read(BinaryReader reader)
    {
        var key = reader.ReadString();
        var decision = new RestoreDecision((Verdict)reader.ReadInt32(), (SyncReason)reader.ReadInt32(), (Need)reader.ReadInt32());
        var source = _source.Read(reader);
        return new PlannedKey(key, source, _backup.Read(reader), decision);
    }
}

/// <summary>Planned keys in the join's order (<see cref="ReadingOrder"/>), keys the plan gave twice in the plan's order.</summary>
internal sealed class PlannedKeyOrder : IComparer<PlannedKey>
{
    public static readonly PlannedKeyOrder Instance = new();

    public int Compare(PlannedKey? x, PlannedKey? y) => ReadingOrder.Compare(x!.Key, y!.Key);
}

/// <summary>
/// -CompareBy ComputedChecksum: the keys a compare finds in both buckets with the same size are verified by S3 itself.
/// Both sides go into a manifest each (the backup's versions, pinned as the plan found them; the source's objects pinned
/// likewise where every one's version is known, as for piped rows, else each key's object current when the job reads
/// it: <see cref="SourceManifest"/>), an S3ComputeObjectChecksum job per manifest computes each object's full-object checksum where it lies (no byte
/// is downloaded and no archived object restored), and the two completion reports (every task) are joined key by key
/// (<see cref="ChecksumMatch"/>). Both jobs run in the source session's account and the source bucket's region as the
/// role given, which therefore reads the backup bucket across accounts, as a Batch restore's role does.
/// </summary>
/// <remarks>
/// In bounded memory, as the plan: the keys to verify go to an external sort (<see cref="PlannedKey"/>, in temporary files
/// beside the manifests), each report's rows are read a line at a time into one of their own
/// (<see cref="ChecksumReportJoin"/>), and the three key-ordered streams are merged, the results written in key order
/// (<see cref="KeyOrder"/>). Every temporary file goes on <see cref="Dispose"/>.
/// </remarks>
internal sealed class ChecksumVerification : IDisposable
{
    private readonly RestoreRun _run;
    private readonly VerifySettings _settings;
    private readonly IRunReport _report;
    private readonly BatchJobSetup _setup;
    private readonly SourceManifest _sourceManifest = new();
    private readonly ManifestFile _backupManifest = new(pinned: true);
    private readonly TemporaryFolder _folder = new(name: "s3r-verify-");
    private readonly ExternalSorter<PlannedKey> _planned;
    private readonly List<S3BatchJobRecord> _jobs = new();

    private ChecksumVerification(RestoreRun run, VerifySettings settings, IRunReport report, BatchJobSetup setup, string account, string region)
    {
        _run = run;
        _settings = settings;
        _report = report;
        _setup = setup;
        Account = account;
        Region = region;
        // A folder of its own for every run: a verification must compute afresh, never return an earlier run's job.
        RunFolder = $"s3replication/verify/{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N").Substring(0, 8)}";
        SourceFailures = new TaskFailures(VerifiedSide.Source, run.Pair!.Source);
        BackupFailures = new TaskFailures(VerifiedSide.Backup, run.Pair.Backup);
        _planned = new ExternalSorter<PlannedKey>(PlannedKeyOrder.Instance, new PlannedKeyFormat(run.Pair.Source, run.Pair.Backup),
            ChecksumReportJoin.DefaultRunSize, _folder);
    }

    /// <summary>The account and region both jobs run in.</summary>
    public string Account { get; }
    public string Region { get; }

    /// <summary>Where this run's manifests and reports go in the work bucket.</summary>
    public string RunFolder { get; }

    /// <summary>The keys to verify, so far.</summary>
    public long Count => _planned.Count;

    /// <summary>The jobs created, source's first; empty before <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<S3BatchJobRecord> Jobs => _jobs;

    public TaskFailures SourceFailures { get; }
    public TaskFailures BackupFailures { get; }

    /// <summary>
    /// What the jobs need, checked before the plan: a role Batch Operations may assume, the account, and one region for
    /// both buckets (the jobs run in the source bucket's; a backup elsewhere is refused, with nothing created).
    /// </summary>
    /// <param name="report">Where its warnings go: the run's own report (the cmdlet).</param>
    public static async Task<ChecksumVerification> PrepareAsync(RestoreRun run, VerifySettings settings, IRunReport report, CancellationToken cancellationToken)
    {
        var pair = run.Pair ?? throw new InvalidOperationException("The run has not begun.");
        var setup = new BatchJobSetup(run.SourceSession, settings.WorkBucket, settings.RoleArn, report.WarnAsync);
        await setup.RequireBatchTrustAsync(cancellationToken).ConfigureAwait(false);
        var account = await BatchJobs.AccountAsync(run.SourceSession, settings.AccountId, cancellationToken).ConfigureAwait(false);
        var region = await setup.RegionOfAsync(pair.Source, run.Owners.Source, cancellationToken).ConfigureAwait(false);
        var backupRegion = await setup.RegionOfAsync(pair.Backup, run.Owners.Backup, cancellationToken, run.Backup).ConfigureAwait(false);
        if (backupRegion != region)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, ErrorCategory.InvalidArgument,
                $"s3://{pair.Source} is in {region} and s3://{pair.Backup} in {backupRegion}: -CompareBy ComputedChecksum runs both compute-checksum jobs in one " +
                "account and region, the source bucket's, and does not verify a backup in another region. Compare with -CompareBy Checksum or Auto instead. " +
                "Nothing was created.", pair.Backup);
        }
        return new ChecksumVerification(run, settings, report, setup, account, region);
    }

    /// <summary>
    /// A key both buckets hold with the same size: into both manifests (the backup pinned to the version compared, the
    /// source where every source object's version is known).
    /// </summary>
    public async Task AddAsync(Decided item, CancellationToken cancellationToken)
    {
        _planned.Add(PlannedKey.Of(item));
        await _sourceManifest.AddAsync(item.Candidate.Source!, cancellationToken).ConfigureAwait(false);
        await _backupManifest.AddAsync(item.Candidate.PinnedBackup!, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every key is in: the manifests are complete.</summary>
    public void Close()
    {
        _sourceManifest.Close();
        _backupManifest.Close();
    }

    /// <summary>What the source's job reads of each key: the version compared, or the object current when its task runs.</summary>
    private string SourceObjects => _sourceManifest.Pinned ? "the versions compared" : "each key's object current when the job reads it";

    /// <summary>The two jobs, what they read and what they cost, for the one confirmation.</summary>
    public string Describe() => string.Format(CultureInfo.InvariantCulture,
        "Verify {0:N0} key(s) by checksums S3 computes from the stored bytes ({1}, full object): two S3ComputeObjectChecksum jobs in account {2} ({3}) " +
        "as {4}, one reading {0:N0} object(s), {5}, in s3://{6} ({11}), one reading {0:N0} object(s), {7}, in s3://{8} (the versions " +
        "compared); manifests and completion reports in s3://{9}/{10}/. Batch Operations charges per job and per object processed, plus the " +
        "requests its tasks make and the checksum computation (see the Amazon S3 pricing page).",
        Count, _settings.Algorithm, Account, Region, _settings.RoleArn, ByteSize.Format(_sourceManifest.File.Bytes), _run.Pair!.Source,
        ByteSize.Format(_backupManifest.Bytes), _run.Pair.Backup, _settings.WorkBucket, RunFolder, SourceObjects);

    /// <summary>
    /// Uploads both manifests and creates both jobs, to run at once (the compare's confirmation was the gate, and it waits
    /// for them), each reporting every task. Where the second cannot be created, the error names the first, which runs on.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var pair = _run.Pair!;
        _jobs.Add(await CreateAsync(_sourceManifest.File, "source-manifest.csv", pair.Source, pair.Backup, cancellationToken).ConfigureAwait(false));
        try
        {
            _jobs.Add(await CreateAsync(_backupManifest, "backup-manifest.csv", pair.Backup, pair.Source, cancellationToken).ConfigureAwait(false));
        }
        catch (S3BackupException error)
        {
            throw new S3BackupException(error.ErrorId, error.Category, error.Message + $" {RunningJobs()}", error.Target, error);
        }
    }

    private async Task<S3BatchJobRecord> CreateAsync(ManifestFile manifestFile, string name, string bucket, string other, CancellationToken cancellationToken)
    {
        var manifest = await _setup.UploadManifestAsync(manifestFile.Path, $"{RunFolder}/{name}", manifestFile.Fields, cancellationToken).ConfigureAwait(false);
        var job = new BatchJobRequest(
            BatchManifest.ClientRequestToken(manifestFile.Sha256, bucket, _settings.RoleArn, _settings.Priority, confirmationRequired: false, RunFolder),
            _settings.RoleArn, _settings.Priority, ConfirmationRequired: false,
            $"S3Replication {_settings.Algorithm} checksums of s3://{bucket}, compared with s3://{other}", manifest, null,
            $"arn:aws:s3:::{_settings.WorkBucket}", RunFolder, new BatchComputeChecksum(_settings.Algorithm), BatchReportScope.AllTasks);
        return await _setup.CreateJobAsync(Account, Region, job, manifestFile.Rows, "compute-checksum", bucket, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The jobs created (one at least) and how to act on them: a stop or a failure of the compare leaves them running.</summary>
    public string RunningJobs() =>
        $"{(_jobs.Count == 1 ? "Job" : "Jobs")} {string.Join(" and ", _jobs.Select(job => job.JobId))} (account {Account}, {Region}) " +
        $"{(_jobs.Count == 1 ? "was created and runs" : "run")} on: Stop-S3BackupBatchJob {JobParameters} cancels one, and " +
        $"Get-S3BackupBatchJobReport {JobParameters} reads its checksums once it is Complete.";

    /// <summary>How the job cmdlets name one of the jobs: they run in the source bucket's account and region, which need not be the session's.</summary>
    private string JobParameters => BatchJobs.Parameters(new S3BatchJobRecord { JobId = "<id>", AccountId = Account, Region = Region });

    /// <summary>Polls both jobs until they have ended, reporting each round; a timeout names the jobs still running.</summary>
    public async Task<IReadOnlyList<S3BatchJobRecord>> WaitAsync(BatchJobWaiter waiter, TimeSpan timeout, Func<IReadOnlyList<S3BatchJobRecord>, TimeSpan, Task> report,
        CancellationToken cancellationToken)
    {
        using var client = BatchJobs.Client(_run.SourceSession, Region);
        var describe = _jobs.Select(job => (Func<CancellationToken, Task<S3BatchJobRecord>>)(token => BatchJobs.DescribeAsync(client, Account, Region, job.JobId, token)))
            .ToList();
        return await waiter.WaitAsync(describe, report, timeout, " The compare cannot finish without them; once they are Complete, " +
            $"Get-S3BackupBatchJobReport {JobParameters} shows each side's checksums (ResultMessage).", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every key to verify, in key order (<see cref="KeyOrder"/>; a key planned twice, in the plan's order), with what both
    /// reports say of it; the failed tasks are counted by side (<see cref="SourceFailures"/>, <see cref="BackupFailures"/>).
    /// A job that did not complete is a warning, and the keys its report lacks are unverified. Each report is joined to the
    /// keys by <see cref="ChecksumReportJoin"/>, whatever its keys' encoding; a pinned manifest's rows (the backup's, the
    /// source's where pinned) must name the versions compared.
    /// </summary>
    /// <param name="retry">How a Complete job's report that is not readable yet is waited for.</param>
    public async IAsyncEnumerable<VerifiedKey> ResultsAsync(IReadOnlyList<S3BatchJobRecord> ended, BatchReportRetry retry,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pair = _run.Pair!;
        var (sourceJob, backupJob) = (ended[0], ended[1]);
        ChecksumReportJoin? sourceTasks = null, backupTasks = null;
        try
        {
            try
            {
                sourceTasks = await TasksAsync(sourceJob, pair.Source, retry, cancellationToken).ConfigureAwait(false);
                backupTasks = await TasksAsync(backupJob, pair.Backup, retry, cancellationToken).ConfigureAwait(false);
            }
            catch (S3BackupException unreadable) when (unreadable.ErrorId == ErrorId.BatchReportUnreadable)
            {
                // Both jobs are paid for: say how to read each, and carry both records.
                throw new S3BackupException(unreadable.ErrorId, unreadable.Category, unreadable.Message + " The compare's jobs: " +
                    string.Join("; ", ended.Select(job => $"Get-S3BackupBatchJobReport {BatchJobs.Parameters(job)}")) +
                    " (each task's ResultMessage holds its checksum).", ended.ToArray(), unreadable);
            }
            foreach (var (planned, given) in ByKey(_planned.Sorted(cancellationToken)))
            {
                var key = planned.Key;
                var source = sourceTasks.TaskFor(key, given, _sourceManifest.Pinned ? BatchManifest.VersionOf(planned.Source) : null, NotReported(sourceJob));
                var backup = backupTasks.TaskFor(key, given, BatchManifest.VersionOf(planned.Backup), NotReported(backupJob));
                SourceFailures.Add(key, source);
                BackupFailures.Add(key, backup);
                yield return new VerifiedKey(planned.ToDecided(), ChecksumMatch.Decide(source, backup), source, backup);
            }
        }
        finally
        {
            sourceTasks?.Dispose();
            backupTasks?.Dispose();
        }
    }

    /// <summary>Each planned key with how many times the plan gave it (its neighbours in key order); a key's entries only are held.</summary>
    private static IEnumerable<(PlannedKey Planned, int Given)> ByKey(IEnumerable<PlannedKey> sorted)
    {
        var same = new List<PlannedKey>();
        foreach (var planned in sorted)
        {
            if (same.Count > 0 && !string.Equals(same[0].Key, planned.Key, StringComparison.Ordinal))
            {
                foreach (var entry in same)
                {
                    yield return (entry, same.Count);
                }
                same.Clear();
            }
            same.Add(planned);
        }
        foreach (var entry in same)
        {
            yield return (entry, same.Count);
        }
    }

    private static string NotReported(S3BatchJobRecord job) => $"not in the completion report of job {job.JobId}, which ended {job.Status}";

    /// <summary>
    /// One job's report, sorted for the join to the keys it was given (in its own bucket). A Complete job's report is
    /// waited for while it is not readable yet (<paramref name="retry"/>; a try that failed part-way leaves its runs to
    /// the folder); a job that ended otherwise may have written none.
    /// </summary>
    private async Task<ChecksumReportJoin> TasksAsync(S3BatchJobRecord job, string bucket, BatchReportRetry retry, CancellationToken cancellationToken)
    {
        ChecksumReportJoin Join() =>
            new(bucket, _settings.Algorithm, $"the completion report of job {job.JobId}", _folder, ChecksumReportJoin.DefaultRunSize, cancellationToken);
        async Task<ChecksumReportJoin> ReadAsync(CancellationToken token)
        {
            var tasks = Join();
            await foreach (var row in BatchReportReader.RowsAsync(_run.SourceSession.S3, job, token).ConfigureAwait(false))
            {
                tasks.Add(row);
            }
            return tasks;
        }
        if (job.Status == "Complete")
        {
            return await retry.ReadAsync(job, ReadAsync, cancellationToken).ConfigureAwait(false);
        }
        await _report.WarnAsync($"Job {job.JobId} (the {_settings.Algorithm} checksums of s3://{bucket}) ended {job.Status}" +
            (job.FailureReasons.Count > 0 ? $" ({string.Join("; ", job.FailureReasons)})" : "") + ": the keys its report lacks are Unverified.").ConfigureAwait(false);
        try
        {
            return await ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (S3BackupException error) when (error.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            // A job that ended before any task ran writes no report.
            return Join();
        }
    }

    /// <summary>Removes the manifests and every sorted run (the plan's, the reports').</summary>
    public void Dispose()
    {
        _sourceManifest.Dispose();
        _backupManifest.Dispose();
        _folder.Dispose();
    }
}
