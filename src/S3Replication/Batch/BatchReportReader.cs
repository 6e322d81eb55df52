using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Batch;

/// <summary>
/// Reads a job's completion report where S3 wrote it: <c>&lt;prefix&gt;/job-&lt;id&gt;/manifest.json</c>, then each result
/// file it names, one task at a time (<see cref="BatchReport"/> parses them).
/// </summary>
internal static class BatchReportReader
{
    public static async IAsyncEnumerable<BatchTaskResult> RowsAsync(IAmazonS3 s3, S3BatchJobRecord job, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (job.ReportBucket is null)
        {
            throw new S3BackupException(ErrorId.BatchJobMismatch, ErrorCategory.ObjectNotFound, $"Job {job.JobId} writes no completion report.", job);
        }
        var bucket = job.ReportBucket.Substring(job.ReportBucket.LastIndexOf(':') + 1);
        var manifest = await ReadAsync(s3, bucket, BatchReport.JobFolder(job.ReportPrefix ?? "", job.JobId) + "/manifest.json", job, cancellationToken).ConfigureAwait(false);
        foreach (var resultKey in BatchReport.ResultKeys(manifest))
        {
            foreach (var row in BatchReport.Rows(await ReadAsync(s3, bucket, resultKey, job, cancellationToken).ConfigureAwait(false)))
            {
                yield return row;
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
