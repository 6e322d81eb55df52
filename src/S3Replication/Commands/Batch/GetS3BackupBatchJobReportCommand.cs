using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using S3Replication.Batch;
using S3Replication.Core;
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
        var target = await TargetAsync(cancellationToken).ConfigureAwait(false);
        var job = await DescribeAsync(target, cancellationToken).ConfigureAwait(false);
        if (job.ReportBucket is null)
        {
            throw new S3BackupException(ErrorId.BatchJobMismatch, ErrorCategory.ObjectNotFound, $"Job {job.JobId} writes no completion report.", job);
        }
        var bucket = job.ReportBucket.Substring(job.ReportBucket.LastIndexOf(':') + 1);
        var s3 = ResolveSession().S3;
        var folder = BatchReport.JobFolder(job.ReportPrefix ?? "", job.JobId);
        var manifest = await ReadAsync(s3, bucket, folder + "/manifest.json", job, cancellationToken).ConfigureAwait(false);
        foreach (var resultKey in BatchReport.ResultKeys(manifest))
        {
            foreach (var row in BatchReport.Rows(await ReadAsync(s3, bucket, resultKey, job, cancellationToken).ConfigureAwait(false)))
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

    private static async Task<string> ReadAsync(IAmazonS3 s3, string bucket, string key, S3BatchJobRecord job, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await s3.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream);
            return await reader.ReadToEndAsync().ConfigureAwait(false);
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:GetObject", $"arn:aws:s3:::{bucket}/{key}", $"Reading the report of job {job.JobId} (s3://{bucket}/{key})", job);
        }
    }
}
