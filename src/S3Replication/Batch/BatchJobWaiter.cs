using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Batch;

/// <summary>
/// Waits until Batch Operations jobs have ended (Complete, Cancelled or Failed): polls each with DescribeJob, first after
/// a second, then twice as long each round up to 30 s, and reports every round. A timeout or a stop ends the waiting,
/// never a job. Wait-S3BackupBatchJob waits for one job, a computed-checksum compare for its two.
/// </summary>
internal sealed class BatchJobWaiter
{
    public static readonly TimeSpan FirstPoll = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(30);

    /// <summary>The longest a command waits for its jobs unless -Timeout says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromHours(24);

    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly Func<TimeSpan> _elapsed;

    /// <param name="delay">How a pause between rounds is taken (Task.Delay; a test's own).</param>
    /// <param name="elapsed">The time since the wait began (a stopwatch started now; a test's own).</param>
    public BatchJobWaiter(Func<TimeSpan, CancellationToken, Task>? delay = null, Func<TimeSpan>? elapsed = null)
    {
        _delay = delay ?? Task.Delay;
        if (elapsed is null)
        {
            var watch = Stopwatch.StartNew();
            elapsed = () => watch.Elapsed;
        }
        _elapsed = elapsed;
    }

    /// <summary>
    /// Describes each job (<paramref name="describe"/>, one per job) every round until all have ended, and hands each
    /// round's records to <paramref name="report"/>; returns the ended jobs in the order given. When the next round would
    /// fall past <paramref name="timeout"/>, throws BatchJobMismatch (OperationTimeout) naming the jobs still running (by
    /// id, account and region, as Wait-S3BackupBatchJob takes them), followed by <paramref name="advice"/>; its
    /// TargetObject is every job's record as last described, so they can be piped on.
    /// </summary>
    public async Task<IReadOnlyList<S3BatchJobRecord>> WaitAsync(IReadOnlyList<Func<CancellationToken, Task<S3BatchJobRecord>>> describe,
        Func<IReadOnlyList<S3BatchJobRecord>, TimeSpan, Task> report, TimeSpan timeout, string advice, CancellationToken cancellationToken)
    {
        var interval = FirstPoll;
        var jobs = new S3BatchJobRecord?[describe.Count];
        while (true)
        {
            for (var index = 0; index < describe.Count; index++)
            {
                // A job that has ended stays as it was last described.
                if (jobs[index] is not { IsFinished: true })
                {
                    jobs[index] = await describe[index](cancellationToken).ConfigureAwait(false);
                }
            }
            var round = jobs.Select(job => job!).ToList();
            await report(round, _elapsed()).ConfigureAwait(false);
            var running = round.Where(job => !job.IsFinished).ToList();
            if (running.Count == 0)
            {
                return round;
            }
            if (_elapsed() + interval > timeout)
            {
                throw new S3BackupException(ErrorId.BatchJobMismatch, ErrorCategory.OperationTimeout, TimedOut(running, timeout) + advice, round.ToArray());
            }
            await _delay(interval, cancellationToken).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(LongestPoll.Ticks, interval.Ticks * 2));
        }
    }

    private static string TimedOut(IReadOnlyList<S3BatchJobRecord> running, TimeSpan timeout) => running.Count == 1
        ? $"Job {running[0].JobId} is still {running[0].Status} after {timeout}; it goes on. Wait again with Wait-S3BackupBatchJob {BatchJobs.Parameters(running[0])}."
        : $"Jobs {string.Join(", ", running.Select(job => $"{job.JobId} ({job.Status})"))} are still running after {timeout}; they go on. Wait again with " +
          string.Join("; ", running.Select(job => $"Wait-S3BackupBatchJob {BatchJobs.Parameters(job)}")) + ".";

    /// <summary>One job's progress bar: its tasks done of its total, its status and how long the wait has taken.</summary>
    public static ProgressRecord Progress(S3BatchJobRecord job, int activityId, TimeSpan elapsed, string? what = null)
    {
        var done = (job.SucceededTasks ?? 0) + (job.FailedTasks ?? 0);
        var progress = new ProgressRecord(activityId, $"Batch job {job.JobId}{what}", string.Format(CultureInfo.InvariantCulture,
            "{0}: {1:N0} succeeded, {2:N0} failed of {3} tasks; waiting {4:hh\\:mm\\:ss}", job.Status, job.SucceededTasks ?? 0, job.FailedTasks ?? 0,
            job.TotalTasks?.ToString("N0", CultureInfo.InvariantCulture) ?? "?", elapsed))
        {
            RecordType = job.IsFinished ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        if (job.TotalTasks is > 0 and var total)
        {
            progress.PercentComplete = (int)Math.Min(100, done * 100 / total);
        }
        return progress;
    }
}
