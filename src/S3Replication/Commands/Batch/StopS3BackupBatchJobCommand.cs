using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
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

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        UpdateAsync("Cancel", "Cancelling", (client, target) =>
            client.UpdateJobStatusAsync(target.AccountId, target.JobId, "Cancelled", Reason, cancellationToken), cancellationToken);
}
