using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Commands.Batch;

/// <summary>
/// Waits until a job has ended (Complete, Cancelled or Failed), polling with backoff and showing its tasks as
/// progress. Ctrl+C or -Timeout stops the waiting, never the job.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "S3BackupBatchJob", DefaultParameterSetName = IdSet)]
[OutputType(typeof(S3BatchJobRecord))]
public sealed class WaitS3BackupBatchJobCommand : BatchJobCmdlet
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait; the job goes on after it (the error BatchJobMismatch says so).</summary>
    [Parameter]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(24);

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var target = await TargetAsync(cancellationToken).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        var interval = FirstPoll;
        while (true)
        {
            var job = await DescribeAsync(target, cancellationToken).ConfigureAwait(false);
            await WriteProgressAsync(Progress(job, watch.Elapsed, finished: job.IsFinished)).ConfigureAwait(false);
            if (job.IsFinished)
            {
                await WriteObjectAsync(job).ConfigureAwait(false);
                return;
            }
            if (watch.Elapsed + interval > Timeout)
            {
                throw new S3BackupException(ErrorId.BatchJobMismatch, ErrorCategory.OperationTimeout,
                    $"Job {job.JobId} is still {job.Status} after {Timeout}; it goes on. Wait again with Wait-S3BackupBatchJob -JobId {job.JobId}.", job);
            }
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            interval = TimeSpan.FromTicks(Math.Min(LongestPoll.Ticks, interval.Ticks * 2));
        }
    }

    private static ProgressRecord Progress(S3BatchJobRecord job, TimeSpan elapsed, bool finished)
    {
        var done = (job.SucceededTasks ?? 0) + (job.FailedTasks ?? 0);
        var progress = new ProgressRecord(0x5BA7, $"Batch job {job.JobId}", string.Format(CultureInfo.InvariantCulture,
            "{0}: {1:N0} succeeded, {2:N0} failed of {3} tasks; waiting {4:hh\\:mm\\:ss}", job.Status, job.SucceededTasks ?? 0, job.FailedTasks ?? 0,
            job.TotalTasks?.ToString("N0", CultureInfo.InvariantCulture) ?? "?", elapsed))
        {
            RecordType = finished ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        if (job.TotalTasks is > 0 and var total)
        {
            progress.PercentComplete = (int)Math.Min(100, done * 100 / total);
        }
        return progress;
    }
}
