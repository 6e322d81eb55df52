using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Batch;
using S3Replication.Records;

namespace S3Replication.Commands.Batch;

/// <summary>
/// Reads a job's completion report (job-&lt;id&gt;/manifest.json and its result files) and writes one record per task;
/// failed tasks pipe into Sync-S3BackupToSource to be restored locally.
/// </summary>
[Cmdlet(VerbsCommon.Get, "S3BackupBatchJobReport", DefaultParameterSetName = IdSet)]
[OutputType(typeof(S3BatchTaskRecord))]
public sealed class GetS3BackupBatchJobReportCommand : BatchJobCmdlet
{
    [Parameter]
    public SwitchParameter FailedOnly { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var job = await DescribeAsync(await TargetAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        await foreach (var row in BatchReportReader.RowsAsync(ResolveSession().S3, job, cancellationToken).ConfigureAwait(false))
        {
            if (FailedOnly && row.TaskStatus == "succeeded")
            {
                continue;
            }
            await WriteObjectAsync(new S3BatchTaskRecord
            {
                Bucket = row.Bucket,
                Key = row.Key,
                VersionId = row.VersionId is null or "null" ? null : row.VersionId,
                JobId = job.JobId,
                TaskStatus = row.TaskStatus,
                HttpStatusCode = row.HttpStatusCode,
                ErrorCode = row.ErrorCode,
                ResultMessage = row.ResultMessage,
            }).ConfigureAwait(false);
        }
    }
}
