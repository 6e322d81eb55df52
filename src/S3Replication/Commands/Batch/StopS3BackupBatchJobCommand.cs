using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Records;

namespace S3Replication.Commands.Batch;

/// <summary>Cancels a job (→ Cancelled); tasks already done stay done.</summary>
[Cmdlet(VerbsLifecycle.Stop, "S3BackupBatchJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = IdSet)]
[OutputType(typeof(S3BatchJobRecord))]
public sealed class StopS3BackupBatchJobCommand : BatchJobCmdlet
{
    [Parameter]
    [ValidateLength(1, 256)]
    public string? Reason { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var target = await TargetAsync(cancellationToken).ConfigureAwait(false);
        if (!await ShouldProcessAsync($"job {target.JobId}", "Cancel").ConfigureAwait(false))
        {
            return;
        }
        using var client = BatchJobs.Client(ResolveSession(), target.Region);
        try
        {
            await client.UpdateJobStatusAsync(target.AccountId, target.JobId, "Cancelled", Reason, cancellationToken).ConfigureAwait(false);
        }
        catch (S3ControlException error)
        {
            throw BatchJobs.Failure(error, $"Cancelling job {target.JobId}", target.JobId);
        }
        await WriteObjectAsync(await DescribeAsync(target, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }
}
