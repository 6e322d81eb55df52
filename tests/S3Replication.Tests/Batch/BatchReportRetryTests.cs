using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using S3Replication.Batch;
using S3Replication.Core;
using S3Replication.Records;
using Xunit;

namespace S3Replication.Tests.Batch;

/// <summary>
/// A Complete job's report that S3 has not made readable yet is waited for (bounded), not taken for a failure that throws
/// away what the job was paid for; when it stays unreadable, the error says which job's report to read later, and how.
/// </summary>
public class BatchReportRetryTests
{
    private static readonly S3BatchJobRecord Job = new() { JobId = "j-1", AccountId = "111122223333", Region = "eu-west-2", Status = "Complete" };

    private static S3BackupException Refused(HttpStatusCode status, string code) => AwsErrors.ForS3(
        new AmazonS3Exception("refused", Amazon.Runtime.ErrorType.Sender, code, "request", status), "s3:GetObject", "arn:aws:s3:::work/run/job-j-1/manifest.json",
        "Reading the report of job j-1 (s3://work/run/job-j-1/manifest.json)", Job);

    /// <summary>Pauses taken, on no clock at all.</summary>
    private sealed class Pauses
    {
        public List<TimeSpan> Taken { get; } = new();

        public Task Delay(TimeSpan pause, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Taken.Add(pause);
            return Task.CompletedTask;
        }
    }

    /// <summary>A read that fails <paramref name="failures"/> times with <paramref name="error"/>, then gives 42.</summary>
    private static Func<CancellationToken, Task<int>> Read(int failures, Func<S3BackupException> error, List<int>? tries = null)
    {
        var count = 0;
        return _ =>
        {
            count++;
            tries?.Add(count);
            return count <= failures ? Task.FromException<int>(error()) : Task.FromResult(42);
        };
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "NoSuchKey")]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied")]
    public async Task A_report_not_there_yet_is_read_once_it_is(HttpStatusCode status, string code)
    {
        var pauses = new Pauses();
        Assert.Equal(42, await new BatchReportRetry(pauses.Delay).ReadAsync(Job, Read(2, () => Refused(status, code)), default));
        Assert.Equal(new[] { 5, 10 }.Select(seconds => TimeSpan.FromSeconds(seconds)), pauses.Taken);
    }

    [Fact]
    public async Task A_report_that_stays_unreadable_is_given_up_within_five_minutes_naming_the_job_and_how_to_read_it_later()
    {
        var pauses = new Pauses();
        var tries = new List<int>();
        var error = await Assert.ThrowsAsync<S3BackupException>(() =>
            new BatchReportRetry(pauses.Delay).ReadAsync(Job, Read(int.MaxValue, () => Refused(HttpStatusCode.NotFound, "NoSuchKey"), tries), default));

        Assert.Equal(new[] { 5, 10, 20, 40, 80, 120 }.Select(seconds => TimeSpan.FromSeconds(seconds)), pauses.Taken);
        Assert.True(pauses.Taken.Aggregate(TimeSpan.Zero, (sum, pause) => sum + pause) <= BatchReportRetry.LongestWait);
        Assert.Equal(7, tries.Count);
        Assert.Equal((ErrorId.BatchReportUnreadable, ErrorCategory.ResourceUnavailable), (error.ErrorId, error.Category));
        Assert.Same(Job, error.Target);
        Assert.IsType<AmazonS3Exception>(error.InnerException!.InnerException);
        Assert.StartsWith("The completion report of job j-1 could not be read (7 tries over 4:35): Reading the report of job j-1", error.Message);
        Assert.EndsWith("The job ended Complete; read its report later with Get-S3BackupBatchJobReport -JobId j-1 -AccountId 111122223333 -Region eu-west-2.",
            error.Message);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError")]
    [InlineData(HttpStatusCode.NotFound, "NoSuchBucket")]
    [InlineData(HttpStatusCode.Forbidden, "InvalidAccessKeyId")]
    public async Task Any_other_failure_ends_the_reading_at_once(HttpStatusCode status, string code)
    {
        var pauses = new Pauses();
        var error = await Assert.ThrowsAsync<S3BackupException>(() => new BatchReportRetry(pauses.Delay).ReadAsync(Job, Read(1, () => Refused(status, code)), default));
        Assert.NotEqual(ErrorId.BatchReportUnreadable, error.ErrorId);
        Assert.Empty(pauses.Taken);
    }

    [Fact]
    public async Task A_stop_ends_the_waiting()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new BatchReportRetry(new Pauses().Delay).ReadAsync(Job, Read(1, () => Refused(HttpStatusCode.NotFound, "NoSuchKey")), stop.Token));
    }
}
