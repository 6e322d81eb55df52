using System.Globalization;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Commands.Batch;

/// <summary>Lets a job that awaits confirmation run (Suspended → Ready), after checking its task count against what was planned.</summary>
[Cmdlet(VerbsLifecycle.Approve, "S3BackupBatchJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdSet)]
[OutputType(typeof(S3BatchJobRecord))]
public sealed class ApproveS3BackupBatchJobCommand : BatchJobCmdlet
{
    /// <summary>The number of objects the manifest lists (Start-S3BackupBatchRestore's PlannedObjects); the job must have as many tasks.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, long.MaxValue)]
    public long? ExpectedTasks { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var target = await TargetAsync(cancellationToken).ConfigureAwait(false);
        var job = await DescribeAsync(target, cancellationToken).ConfigureAwait(false);
        if (job.Status != "Suspended")
        {
            throw new S3BackupException(ErrorId.BatchJobMismatch, ErrorCategory.InvalidOperation,
                $"Job {job.JobId} is {job.Status}, not awaiting confirmation (Suspended): there is nothing to approve.", job);
        }
        if (ExpectedTasks is { } expected && job.TotalTasks is { } tasks && tasks != expected)
        {
            throw new S3BackupException(ErrorId.BatchJobMismatch, ErrorCategory.InvalidData,
                string.Format(CultureInfo.InvariantCulture, "Job {0} has {1:N0} tasks, but {2:N0} objects were planned: it was left awaiting confirmation. " +
                    "Check its manifest ({3}); Stop-S3BackupBatchJob cancels it.", job.JobId, tasks, expected, job.Manifest), job);
        }
        if (!await ShouldProcessAsync($"job {job.JobId} ({job.TotalTasks?.ToString("N0", CultureInfo.InvariantCulture) ?? "?"} tasks, {job.Description})", "Run").ConfigureAwait(false))
        {
            return;
        }
        using var client = BatchJobs.Client(ResolveSession(), target.Region);
        try
        {
            job.Status = await client.UpdateJobStatusAsync(target.AccountId, target.JobId, "Ready", null, cancellationToken).ConfigureAwait(false);
        }
        catch (S3ControlException error)
        {
            throw BatchJobs.Failure(error, $"Approving job {target.JobId}", target.JobId);
        }
        await WriteObjectAsync(job).ConfigureAwait(false);
    }
}
