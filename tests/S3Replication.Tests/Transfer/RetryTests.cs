using System;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using Amazon.Runtime;
using Amazon.S3;
using S3Replication.Core;
using RetryPolicy = S3Replication.Core.RetryPolicy;
using S3Replication.Records;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>Which failures are retried, and that none that outlasts its attempts ends more than its own object.</summary>
public class RetryTests
{
    public static TheoryData<Exception> TransientFailures => new()
    {
        new XmlException("Root element is missing."),
        new AmazonUnmarshallingException("req", "last", new XmlException("Unexpected end of file.")),
        new IOException("The response ended prematurely."),
        new HttpRequestException("Connection reset by peer"),
        new AmazonS3Exception("Please reduce your request rate.") { ErrorCode = "SlowDown", StatusCode = HttpStatusCode.ServiceUnavailable },
        new AmazonS3Exception("We encountered an internal error.") { ErrorCode = "InternalError", StatusCode = HttpStatusCode.InternalServerError },
        new AmazonS3Exception("Too many requests") { StatusCode = (HttpStatusCode)429 },
        new TaskCanceledException("The request timed out."),
    };

    /// <summary>The S3 policy without its waits, on a clock the test moves.</summary>
    private static RetryPolicy Instant(Func<DateTime>? clock = null, Action<RetryEvent>? onRetry = null) =>
        RetryPolicies.S3 with { Delay = (_, _) => Task.CompletedTask, Clock = clock ?? (() => DateTime.UtcNow), OnRetry = onRetry };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public void A_transient_failure_is_retried_and_when_it_lasts_ends_only_its_object(Exception failure)
    {
        Assert.Contains(RetryPolicies.ClassifyS3(failure, default), new[] { FailureKind.Transient, FailureKind.Throttled });
        Assert.True(RetryPolicies.S3.EndsItem(failure, default));
    }

    [Fact]
    public void SlowDown_and_429_are_throttling_not_errors()
    {
        Assert.Equal(FailureKind.Throttled, RetryPolicies.ClassifyS3(new AmazonS3Exception("reduce") { ErrorCode = "SlowDown", StatusCode = HttpStatusCode.ServiceUnavailable }, default));
        Assert.Equal(FailureKind.Throttled, RetryPolicies.ClassifyS3(new AmazonS3Exception("many") { StatusCode = (HttpStatusCode)429 }, default));
        Assert.Equal(FailureKind.Transient, RetryPolicies.ClassifyS3(new AmazonS3Exception("oops") { ErrorCode = "InternalError", StatusCode = HttpStatusCode.InternalServerError }, default));
    }

    [Fact]
    public void A_denial_is_not_retried_but_ends_only_its_object()
    {
        var denied = new AmazonS3Exception("Access Denied") { ErrorCode = "AccessDenied", StatusCode = HttpStatusCode.Forbidden };
        Assert.Equal(FailureKind.Permanent, RetryPolicies.ClassifyS3(denied, default));
        Assert.True(RetryPolicies.S3.EndsItem(denied, default));
        Assert.True(RetryPolicies.S3.EndsItem(new UnauthorizedAccessException("read-only file"), default));
    }

    [Fact]
    public void Ctrl_C_and_bugs_end_the_run()
    {
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        Assert.Equal(FailureKind.Fatal, RetryPolicies.ClassifyS3(new OperationCanceledException(stopped.Token), stopped.Token));
        Assert.False(RetryPolicies.S3.EndsItem(new OperationCanceledException(stopped.Token), stopped.Token));
        Assert.False(RetryPolicies.S3.EndsItem(new InvalidOperationException("a bug"), default));
        Assert.False(RetryPolicies.S3.EndsItem(new NullReferenceException(), default));
    }

    [Fact]
    public async Task A_transient_failure_is_tried_S3Attempts_times_then_surfaces()
    {
        var attempts = 0;
        var failure = await Assert.ThrowsAsync<XmlException>(() => Instant().RunAsync<int>(_ =>
        {
            attempts++;
            throw new XmlException("Root element is missing.");
        }, default));
        Assert.Equal(RetryPolicies.S3Attempts, attempts);
        Assert.True(RetryPolicies.S3.EndsItem(failure, default));
    }

    [Fact]
    public async Task A_failure_that_is_not_transient_is_tried_once()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<AmazonS3Exception>(() => Instant().RunAsync<int>(_ =>
        {
            attempts++;
            throw new AmazonS3Exception("Access Denied") { ErrorCode = "AccessDenied", StatusCode = HttpStatusCode.Forbidden };
        }, default));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Throttling_uses_no_attempts_while_it_lasts_less_than_the_throttle_budget()
    {
        var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var attempts = 0;
        var result = await Instant(() => now).RunAsync(_ =>
        {
            now = now.AddSeconds(10);
            return ++attempts <= 40 ? throw new AmazonS3Exception("reduce") { ErrorCode = "SlowDown", StatusCode = HttpStatusCode.ServiceUnavailable } : Task.FromResult(attempts);
        }, default);
        Assert.Equal(41, result);
    }

    [Fact]
    public async Task Throttling_that_outlasts_the_budget_then_counts_attempts_and_surfaces()
    {
        var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var attempts = 0;
        await Assert.ThrowsAsync<AmazonS3Exception>(() => Instant(() => now).RunAsync<int>(_ =>
        {
            attempts++;
            now = now.AddMinutes(1);
            throw new AmazonS3Exception("reduce") { ErrorCode = "SlowDown", StatusCode = HttpStatusCode.ServiceUnavailable };
        }, default));
        // Fifteen minutes of throttling at one attempt a minute, then the five attempts of any transient failure.
        Assert.InRange(attempts, 15 + RetryPolicies.S3Attempts - 1, 15 + RetryPolicies.S3Attempts + 1);
    }

    [Fact]
    public async Task Each_retry_is_reported_with_its_reason_and_delay()
    {
        var reported = new List<RetryEvent>();
        var attempts = 0;
        await Instant(onRetry: reported.Add).RunAsync(_ => ++attempts < 3
            ? throw new AmazonS3Exception("oops") { ErrorCode = "InternalError", StatusCode = HttpStatusCode.InternalServerError }
            : Task.FromResult(0), default);
        Assert.Equal(new[] { 1, 2 }, reported.Select(retry => retry.Attempt));
        Assert.All(reported, retry => Assert.Equal(FailureKind.Transient, retry.Kind));
        Assert.StartsWith("Copying k: attempt 1 failed (InternalError, HTTP 500); retrying in", reported[0].Describe("Copying k"));
        Assert.InRange(reported[1].Delay.TotalMilliseconds, 400, 1200);
    }

    [Fact]
    public async Task GiveUpAfter_ends_retries_before_the_next_wait_would_pass_it()
    {
        var now = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var attempts = 0;
        var policy = new RetryPolicy(int.MaxValue, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), (_, _) => FailureKind.Transient)
        {
            GiveUpAfter = TimeSpan.FromSeconds(30),
            Clock = () => now,
            Delay = (delay, _) => { now += delay; return Task.CompletedTask; },
        };
        await Assert.ThrowsAsync<InvalidOperationException>(() => policy.RunAsync<int>(_ => { attempts++; throw new InvalidOperationException("denied"); }, default));
        Assert.True(now - new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) <= TimeSpan.FromSeconds(30));
        Assert.InRange(attempts, 3, 12);
    }

    [Fact]
    public async Task A_copy_whose_every_response_is_cut_off_fails_with_a_message_that_says_so()
    {
        // What a connection dropped halfway through the CopyObject result leaves the SDK to read.
        var s3 = new FakeS3(sent => FakeS3.Xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CopyObjectResult><LastModified>2026-11-"));
        var client = s3.Client();
        var engine = new CopyEngine(client, client, serverSide: true, CopyOptions.Default);
        var item = new S3ObjectRecord { Bucket = "backup", Key = "imap/mag/a.cdf", Size = 1024, ETag = "\"abc\"" };

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => engine.CopyAsync(item, "source", Instant(), default));

        Assert.True(RetryPolicies.S3.EndsItem(failure, default), $"{failure.GetType().Name} ends the object, not the run");
        Assert.Equal(RetryPolicies.S3Attempts, s3.Requests.Count);
        var explained = AwsErrors.ForFailure(failure, "s3:GetObject", "arn:aws:s3:::backup/imap/mag/a.cdf", "Restoring s3://backup/imap/mag/a.cdf", item);
        Assert.Equal(ErrorId.AwsRequestFailed, explained.ErrorId);
        Assert.StartsWith("Restoring s3://backup/imap/mag/a.cdf failed: every response was cut off or unreadable", explained.Message);
    }
}
