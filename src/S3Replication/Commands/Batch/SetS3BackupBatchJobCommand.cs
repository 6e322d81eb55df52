using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
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

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) =>
        UpdateAsync($"Set priority to {Priority}", "Setting the priority of", (client, target) =>
            client.UpdateJobPriorityAsync(target.AccountId, target.JobId, Priority, cancellationToken), cancellationToken);
}
