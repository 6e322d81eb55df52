using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
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
    private const int ProgressId = 0x5BA7;

    /// <summary>The longest wait; the job goes on after it (the error BatchJobMismatch says so). Its rule and default are those of Compare-S3BackupBucket's.</summary>
    [Parameter]
    [Transfer.Duration]
    public TimeSpan Timeout { get; set; } = BatchJobWaiter.DefaultTimeout;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var target = await TargetAsync(cancellationToken).ConfigureAwait(false);
        var jobs = await new BatchJobWaiter().WaitAsync(new Func<CancellationToken, Task<S3BatchJobRecord>>[] { token => DescribeAsync(target, token) },
            (round, elapsed) => WriteProgressAsync(BatchJobWaiter.Progress(round[0], ProgressId, elapsed)), Timeout, "", cancellationToken).ConfigureAwait(false);
        await WriteObjectAsync(jobs[0]).ConfigureAwait(false);
    }
}
