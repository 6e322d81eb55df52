using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Batch;

/// <summary>
/// Reads a job's completion report where S3 wrote it: <c>&lt;prefix&gt;/job-&lt;id&gt;/manifest.json</c>, then each result
/// file it names, a line at a time from the response stream (a result file is never held whole; <see cref="BatchReport"/>
/// parses the rows).
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
        string manifest;
        using (var response = await GetAsync(s3, bucket, BatchReport.JobFolder(job.ReportPrefix ?? "", job.JobId) + "/manifest.json", job, cancellationToken).ConfigureAwait(false))
        using (var reader = new StreamReader(response.ResponseStream))
        {
            manifest = await reader.ReadToEndAsync().ConfigureAwait(false);
        }
        foreach (var resultKey in BatchReport.ResultKeys(manifest))
        {
            using var response = await GetAsync(s3, bucket, resultKey, job, cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (BatchReport.Row(line) is { } row)
                {
                    yield return row;
                }
            }
        }
    }

    private static async Task<GetObjectResponse> GetAsync(IAmazonS3 s3, string bucket, string key, S3BatchJobRecord job, CancellationToken cancellationToken)
    {
        try
        {
            return await s3.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error)
        {
            throw AwsErrors.ForS3(error, "s3:GetObject", $"arn:aws:s3:::{bucket}/{key}", $"Reading the report of job {job.JobId} (s3://{bucket}/{key})", job);
        }
    }
}

/// <summary>
/// Reads a Complete job's report even where S3 has not made it readable yet: a job can say Complete a moment before its
/// report is there, and the report holds what the job was paid for. A read refused as not found (or as denied, which S3
/// answers for a missing key to a caller without s3:ListBucket) is tried again after 5 s, then twice as long each time up
/// to 2 min, for at most 5 min in all; then the error (BatchReportUnreadable) says which job's report to read later, and how.
/// Any other failure ends the reading at once.
/// </summary>
internal sealed class BatchReportRetry
{
    public static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LongestPause = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(5);

    private readonly Func<TimeSpan, CancellationToken, Task> _delay;

    /// <param name="delay">How a pause between tries is taken (Task.Delay; a test's own).</param>
    public BatchReportRetry(Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        _delay = delay ?? Task.Delay;
    }

    /// <summary>
    /// <paramref name="read"/> (the whole report, from its manifest.json on: a try that fails part-way starts again), tried
    /// again while the report is not there yet.
    /// </summary>
    public async Task<T> ReadAsync<T>(S3BatchJobRecord job, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var (waited, pause, tries) = (TimeSpan.Zero, FirstPause, 1);
        while (true)
        {
            try
            {
                return await read(cancellationToken).ConfigureAwait(false);
            }
            catch (S3BackupException error) when (NotThereYet(error))
            {
                if (waited + pause > LongestWait)
                {
                    throw new S3BackupException(ErrorId.BatchReportUnreadable, ErrorCategory.ResourceUnavailable,
                        $"The completion report of job {job.JobId} could not be read ({tries} tries over {waited:m\\:ss}): {error.Message} The job ended " +
                        $"{job.Status}; read its report later with Get-S3BackupBatchJobReport {BatchJobs.Parameters(job)}.", job, error);
                }
                await _delay(pause, cancellationToken).ConfigureAwait(false);
                (waited, pause, tries) = (waited + pause, TimeSpan.FromTicks(Math.Min(LongestPause.Ticks, pause.Ticks * 2)), tries + 1);
            }
        }
    }

    /// <summary>A report object that is not there (yet), as S3 refuses it: 404, or 403 AccessDenied without s3:ListBucket.</summary>
    public static bool NotThereYet(S3BackupException error) => error.InnerException is AmazonS3Exception s3 &&
        ((s3.StatusCode == HttpStatusCode.NotFound && s3.ErrorCode != "NoSuchBucket") || (s3.StatusCode == HttpStatusCode.Forbidden && s3.ErrorCode == "AccessDenied"));
}
