using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using Amazon.Runtime;
using Amazon.S3;
using S3Replication.Pipeline;
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

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public void A_transient_failure_is_retried_and_when_it_lasts_ends_only_its_object(Exception failure)
    {
        Assert.True(Retry.IsTransient(failure, default));
        Assert.True(Retry.EndsObject(failure, default));
    }

    [Fact]
    public void A_denial_is_not_retried_but_ends_only_its_object()
    {
        var denied = new AmazonS3Exception("Access Denied") { ErrorCode = "AccessDenied", StatusCode = HttpStatusCode.Forbidden };
        Assert.False(Retry.IsTransient(denied, default));
        Assert.True(Retry.EndsObject(denied, default));
        Assert.True(Retry.EndsObject(new UnauthorizedAccessException("read-only file"), default));
    }

    [Fact]
    public void Ctrl_C_and_bugs_end_the_run()
    {
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        Assert.False(Retry.EndsObject(new OperationCanceledException(stopped.Token), stopped.Token));
        Assert.False(Retry.IsTransient(new OperationCanceledException(stopped.Token), stopped.Token));
        Assert.False(Retry.EndsObject(new InvalidOperationException("a bug"), default));
        Assert.False(Retry.EndsObject(new NullReferenceException(), default));
    }

    [Fact]
    public async Task A_transient_failure_is_tried_AttemptsPerObject_times_then_surfaces()
    {
        var attempts = 0;
        var failure = await Assert.ThrowsAsync<XmlException>(() => Retry.TransientAsync<int>(() =>
        {
            attempts++;
            throw new XmlException("Root element is missing.");
        }, TimeSpan.FromMilliseconds(1), default));
        Assert.Equal(Retry.AttemptsPerObject, attempts);
        Assert.True(Retry.EndsObject(failure, default));
    }

    [Fact]
    public async Task A_failure_that_is_not_transient_is_tried_once()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<AmazonS3Exception>(() => Retry.TransientAsync<int>(() =>
        {
            attempts++;
            throw new AmazonS3Exception("Access Denied") { ErrorCode = "AccessDenied", StatusCode = HttpStatusCode.Forbidden };
        }, TimeSpan.FromMilliseconds(1), default));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task A_copy_whose_every_response_is_cut_off_fails_with_a_message_that_says_so()
    {
        // What a connection dropped halfway through the CopyObject result leaves the SDK to read.
        var s3 = new FakeS3(sent => FakeS3.Xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CopyObjectResult><LastModified>2026-11-"));
        var client = s3.Client();
        var engine = new CopyEngine(client, client, serverSide: true, CopyOptions.Default);
        var item = new S3ObjectRecord { Bucket = "backup", Key = "imap/mag/a.cdf", Size = 1024, ETag = "\"abc\"" };

        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            Retry.TransientAsync(() => engine.CopyAsync(item, "source", default), TimeSpan.FromMilliseconds(1), default));

        Assert.True(Retry.EndsObject(failure, default), $"{failure.GetType().Name} ends the object, not the run");
        Assert.Equal(Retry.AttemptsPerObject, s3.Requests.Count);
        var explained = AwsErrors.ForFailure(failure, "s3:GetObject", "arn:aws:s3:::backup/imap/mag/a.cdf", "Restoring s3://backup/imap/mag/a.cdf", item);
        Assert.Equal(ErrorId.AwsRequestFailed, explained.ErrorId);
        Assert.StartsWith("Restoring s3://backup/imap/mag/a.cdf failed: every response was cut off or unreadable", explained.Message);
    }
}
