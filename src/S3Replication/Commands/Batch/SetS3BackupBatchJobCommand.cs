using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Records;

namespace S3Replication.Commands.Batch;

/// <summary>Changes a job's priority (higher runs first among the account's jobs).</summary>
[Cmdlet(VerbsCommon.Set, "S3BackupBatchJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = IdSet)]
[OutputType(typeof(S3BatchJobRecord))]
public sealed class SetS3BackupBatchJobCommand : BatchJobCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateRange(0, int.MaxValue)]
    public int Priority { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var target = await TargetAsync(cancellationToken).ConfigureAwait(false);
        if (!await ShouldProcessAsync($"job {target.JobId}", $"Set priority to {Priority}").ConfigureAwait(false))
        {
            return;
        }
        using var client = BatchJobs.Client(ResolveSession(), target.Region);
        try
        {
            await client.UpdateJobPriorityAsync(target.AccountId, target.JobId, Priority, cancellationToken).ConfigureAwait(false);
        }
        catch (S3ControlException error)
        {
            throw BatchJobs.Failure(error, $"Setting the priority of job {target.JobId}", target.JobId);
        }
        await WriteObjectAsync(await DescribeAsync(target, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }
}
