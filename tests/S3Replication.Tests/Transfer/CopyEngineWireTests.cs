using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using S3Replication.Records;
using S3Replication.Session;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>Copy-engine paths the local Ceph server cannot show (archive storage classes), checked on the wire.</summary>
/// <remarks>Whether an archived object can be copied is the decision's: <see cref="FactResolver"/> reads its restore state with one HEAD.</remarks>
public class CopyEngineWireTests
{
    private static HttpResponseMessage Xml(string body, HttpStatusCode status = HttpStatusCode.OK) => FakeS3.Xml(body, status);

    private static HttpResponseMessage Head(string storageClass, string? restore, long length = 1024)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Array.Empty<byte>()) };
        response.Content.Headers.ContentLength = length;
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-cdf");
        response.Headers.TryAddWithoutValidation("ETag", "\"abc\"");
        response.Headers.TryAddWithoutValidation("x-amz-storage-class", storageClass);
        response.Headers.TryAddWithoutValidation("x-amz-meta-instrument", "mag");
        response.Headers.TryAddWithoutValidation("Cache-Control", "max-age=60");
        if (restore is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amz-restore", restore);
        }
        return response;
    }

    private static (CopyEngine Engine, FakeS3 S3) Engine(Func<RecordedRequest, HttpResponseMessage> answer, CopyOptions? options = null)
    {
        var s3 = new FakeS3(answer);
        var client = s3.Client();
        return (new CopyEngine(client, client, serverSide: true, options ?? CopyOptions.Default), s3);
    }

    private static S3ObjectRecord Archived(string storageClass = "DEEP_ARCHIVE", long size = 1024) =>
        new() { Bucket = "backup", Key = "imap/mag/a.cdf", Size = size, StorageClass = storageClass, VersionId = "v1" };

    private static readonly Core.RetryPolicy Once = Core.RetryPolicies.S3 with { Attempts = 1 };

    private static Task<Decided> DecideAsync(FakeS3 s3, S3ObjectRecord backup, S3ObjectRecord? source) =>
        new FactResolver(s3.Client(), s3.Client(), "source", BucketOwners.Unknown, new DecisionPolicy(CompareMode.Auto), _ => Once, new Core.InFlight())
            .DecideAsync(new Candidate(backup.Key, backup, source), default);

    [Theory]
    [InlineData("GLACIER", null, "Archived")]
    [InlineData("DEEP_ARCHIVE", null, "Archived")]
    [InlineData("DEEP_ARCHIVE", "ongoing-request=\"true\"", "RestoreInProgress")]
    public async Task An_archived_object_without_a_restored_copy_needs_restore_and_only_a_head_is_sent(string storageClass, string? restore, string reason)
    {
        var s3 = new FakeS3(sent => sent.Method == HttpMethod.Head ? Head(storageClass, restore) : Xml("<Error><Code>Unexpected</Code></Error>", HttpStatusCode.BadRequest));
        var decided = await DecideAsync(s3, Archived(storageClass), null);
        Assert.Equal(new RestoreDecision(Verdict.NeedsRestore, Enum.Parse<SyncReason>(reason)), decided.Decision);
        Assert.Equal(HttpMethod.Head, Assert.Single(s3.Requests).Method);
    }

    [Fact]
    public async Task RestoreArchived_starts_a_restore_with_the_days_and_tier_asked_for()
    {
        var (engine, s3) = Engine(sent => sent.Method == HttpMethod.Head ? Head("DEEP_ARCHIVE", null) : new HttpResponseMessage(HttpStatusCode.Accepted),
            CopyOptions.Default with { RestoreArchived = true, RestoreDays = 3, RestoreTier = "Bulk" });
        Assert.Equal(SyncReason.RestoreStarted, await engine.StartArchiveRestoreAsync(Archived(), Once, default));
        var restore = Assert.Single(s3.Requests, request => request.Method == HttpMethod.Post);
        Assert.Contains("?restore", restore.PathAndQuery);
        Assert.Contains("versionId=v1", restore.PathAndQuery);
        Assert.Contains("<Days>3</Days>", restore.Body);
        Assert.Contains("<Tier>Bulk</Tier>", restore.Body);
    }

    [Fact]
    public async Task A_restored_archive_copy_is_decided_a_copy_and_copied_by_version()
    {
        var (engine, s3) = Engine(sent => sent.Method == HttpMethod.Head
            ? Head("GLACIER", "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2040 00:00:00 GMT\"")
            : Xml("<CopyObjectResult><ETag>\"abc\"</ETag><LastModified>2025-01-01T00:00:00.000Z</LastModified></CopyObjectResult>"));
        var decided = await DecideAsync(s3, Archived("GLACIER"), null);
        Assert.Equal(new RestoreDecision(Verdict.Copy, SyncReason.MissingInSource), decided.Decision);
        var outcome = await engine.CopyAsync(decided.Candidate.PinnedBackup!, "source", Once, default);
        Assert.Equal(SyncAction.Copied, outcome.Action);
        Assert.Equal("v1", outcome.VersionRead);
        var copy = Assert.Single(s3.Requests, request => request.Method == HttpMethod.Put);
        Assert.Equal("/source/imap/mag/a.cdf", copy.PathAndQuery);
        Assert.Equal("backup/imap/mag/a.cdf?versionId=v1", Uri.UnescapeDataString(copy.Headers["x-amz-copy-source"]));
    }

    [Fact]
    public async Task An_archived_object_the_record_did_not_mark_needs_restore_when_S3_says_so()
    {
        var (engine, _) = Engine(_ => Xml("<Error><Code>InvalidObjectState</Code><Message>archived</Message></Error>", HttpStatusCode.Forbidden));
        Assert.Equal(CopyOutcome.Archived, await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "row-from-a-file.cdf", Size = 10 }, "source", Once, default));
    }

    /// <summary>A CopyObject answer, with the version headers AWS sends for a versioned destination or none (Ceph RGW, or an unversioned bucket).</summary>
    private static HttpResponseMessage Copied(string? versionCreated)
    {
        var response = Xml("<CopyObjectResult><ETag>\"abc\"</ETag><LastModified>2025-01-01T00:00:00.000Z</LastModified></CopyObjectResult>");
        if (versionCreated is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amz-version-id", versionCreated);
            response.Headers.TryAddWithoutValidation("x-amz-copy-source-version-id", "v1");
        }
        return response;
    }

    private static HttpResponseMessage Current(string? version)
    {
        var head = Head("STANDARD", null);
        if (version is not null)
        {
            head.Headers.TryAddWithoutValidation("x-amz-version-id", version);
        }
        return head;
    }

    [Theory]
    [InlineData("reported", 0)]
    [InlineData("hidden", 3)]
    [InlineData("unversioned", 1)]
    public async Task The_version_a_copy_created_is_what_S3_reports_or_read_back_only_where_a_server_hides_it(string server, int heads)
    {
        var (engine, s3) = Engine(sent => (server, sent.Method.Method) switch
        {
            ("reported", "PUT") => Copied("created-1"),
            (_, "PUT") => Copied(null),
            ("hidden", "HEAD") => Current("created-1"),
            _ => Current(null),
        });
        var outcomes = new List<CopyOutcome>();
        foreach (var key in new[] { "a", "b", "c" })
        {
            outcomes.Add(await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = key, Size = 1024, VersionId = "v1" }, "source", Once, default));
        }
        Assert.All(outcomes, outcome => Assert.Equal(server == "unversioned" ? null : "created-1", outcome.VersionCreated));
        Assert.All(outcomes, outcome => Assert.Equal("v1", outcome.VersionRead));
        Assert.Equal(heads, s3.Requests.Count(request => request.Method == HttpMethod.Head));
    }

    [Fact]
    public async Task A_version_read_back_that_another_writer_made_is_not_claimed()
    {
        var (engine, _) = Engine(sent => sent.Method == HttpMethod.Put ? Copied(null) : WithETag(Current("someone-elses"), "\"other\""));
        var outcome = await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "a", Size = 1024 }, "source", Once, default);
        Assert.Null(outcome.VersionCreated);
    }

    private static HttpResponseMessage WithETag(HttpResponseMessage response, string etag)
    {
        response.Headers.Remove("ETag");
        response.Headers.TryAddWithoutValidation("ETag", etag);
        return response;
    }

    [Fact]
    public async Task Above_the_threshold_parts_are_copied_with_metadata_tags_and_ranges_then_completed()
    {
        const long size = 12L * 1024 * 1024;
        var (engine, s3) = Engine(sent => sent switch
        {
            { Method.Method: "HEAD" } => Head("STANDARD", null, size),
            // A server like Ceph RGW: the upload's tags are not kept, so the check after completing finds none.
            { Method.Method: "GET" } when sent.PathAndQuery.StartsWith("/source/") && sent.PathAndQuery.Contains("?tagging") => Xml("<Tagging><TagSet></TagSet></Tagging>"),
            { Method.Method: "GET" } when sent.PathAndQuery.Contains("?tagging") => Xml("<Tagging><TagSet><Tag><Key>team</Key><Value>mag</Value></Tag></TagSet></Tagging>"),
            { Method.Method: "POST" } when sent.PathAndQuery.Contains("?uploads") => Xml("<InitiateMultipartUploadResult><Bucket>source</Bucket><Key>k</Key><UploadId>u-1</UploadId></InitiateMultipartUploadResult>"),
            { Method.Method: "PUT" } when sent.PathAndQuery.Contains("?tagging") => new HttpResponseMessage(HttpStatusCode.OK),
            { Method.Method: "PUT" } => Xml($"<CopyPartResult><ETag>\"p\"</ETag><LastModified>2025-01-01T00:00:00.000Z</LastModified></CopyPartResult>"),
            { Method.Method: "POST" } => Xml("<CompleteMultipartUploadResult><ETag>\"e-3\"</ETag></CompleteMultipartUploadResult>"),
            _ => Xml("<Error><Code>Unexpected</Code></Error>", HttpStatusCode.BadRequest),
        }, CopyOptions.Default with { MultipartThreshold = 5L * 1024 * 1024, PartSize = 5L * 1024 * 1024 });

        var outcome = await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "big.cdf", Size = size }, "source", Once, default);

        Assert.Equal(new CopyOutcome(SyncAction.Copied, size), outcome);
        var initiate = Assert.Single(s3.Requests, request => request.Method == HttpMethod.Post && request.PathAndQuery.Contains("?uploads"));
        Assert.Equal("application/x-cdf", initiate.Headers["content-type"]);
        Assert.Equal("mag", initiate.Headers["x-amz-meta-instrument"]);
        Assert.Equal("max-age=60", initiate.Headers["cache-control"]);
        Assert.Equal("team=mag", initiate.Headers["x-amz-tagging"]);
        var ranges = s3.Requests.Where(request => request.Method == HttpMethod.Put && !request.PathAndQuery.Contains("?tagging")).Select(request => request.Headers["x-amz-copy-source-range"]).OrderBy(range => range.Length).ThenBy(range => range).ToList();
        Assert.Equal(new[] { "bytes=0-5242879", "bytes=5242880-10485759", "bytes=10485760-12582911" }.OrderBy(range => range.Length).ThenBy(range => range), ranges);
        var complete = Assert.Single(s3.Requests, request => request.Method == HttpMethod.Post && request.PathAndQuery.Contains("uploadId=u-1"));
        Assert.Contains("<Key>team</Key><Value>mag</Value>", Assert.Single(s3.Requests, request => request.PathAndQuery.Contains("?tagging") && request.Method == HttpMethod.Put).Body);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(complete.Body, "<PartNumber>").Count);
    }

    [Fact]
    public async Task Uploads_a_killed_run_left_for_the_key_are_aborted_before_it_is_copied_again()
    {
        const long size = 12L * 1024 * 1024;
        const string pending = """
            <ListMultipartUploadsResult><Bucket>source</Bucket>
            <Upload><Key>big.cdf</Key><UploadId>abandoned</UploadId><Initiated>2020-01-01T00:00:00.000Z</Initiated></Upload>
            <Upload><Key>big.cdf.2</Key><UploadId>other-key</UploadId><Initiated>2020-01-01T00:00:00.000Z</Initiated></Upload>
            <Upload><Key>big.cdf</Key><UploadId>started-later</UploadId><Initiated>2099-01-01T00:00:00.000Z</Initiated></Upload>
            </ListMultipartUploadsResult>
            """;
        var (engine, s3) = Engine(sent => sent switch
        {
            { Method.Method: "HEAD" } => Head("STANDARD", null, size),
            { Method.Method: "GET" } when sent.PathAndQuery.Contains("?uploads") => Xml(pending),
            { Method.Method: "GET" } => Xml("<Tagging><TagSet></TagSet></Tagging>"),
            { Method.Method: "DELETE" } => new HttpResponseMessage(HttpStatusCode.NoContent),
            { Method.Method: "POST" } when sent.PathAndQuery.Contains("?uploads") => Xml("<InitiateMultipartUploadResult><UploadId>u-3</UploadId></InitiateMultipartUploadResult>"),
            { Method.Method: "PUT" } => Xml("<CopyPartResult><ETag>\"p\"</ETag></CopyPartResult>"),
            { Method.Method: "POST" } => Xml("<CompleteMultipartUploadResult><ETag>\"e-3\"</ETag></CompleteMultipartUploadResult>"),
            _ => Xml("<Error><Code>Unexpected</Code></Error>", HttpStatusCode.BadRequest),
        }, CopyOptions.Default with { MultipartThreshold = 5L * 1024 * 1024, PartSize = 5L * 1024 * 1024 });

        await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "big.cdf", Size = size }, "source", Once, default);

        var aborted = Assert.Single(s3.Requests, request => request.Method == HttpMethod.Delete);
        Assert.Contains("uploadId=abandoned", aborted.PathAndQuery);
        var list = Assert.Single(s3.Requests, request => request.Method == HttpMethod.Get && request.PathAndQuery.Contains("?uploads"));
        Assert.Contains("prefix=big.cdf", list.PathAndQuery);
        Assert.True(s3.Requests.IndexOf(aborted) < s3.Requests.FindIndex(request => request.Method == HttpMethod.Post),
            "the abandoned upload is aborted before the new one starts");
    }

    [Fact]
    public async Task A_failed_part_aborts_the_upload_so_nothing_partial_remains()
    {
        const long size = 12L * 1024 * 1024;
        var (engine, s3) = Engine(sent => sent switch
        {
            { Method.Method: "HEAD" } => Head("STANDARD", null, size),
            { Method.Method: "GET" } => Xml("<Tagging><TagSet></TagSet></Tagging>"),
            { Method.Method: "POST" } when sent.PathAndQuery.Contains("?uploads") => Xml("<InitiateMultipartUploadResult><UploadId>u-2</UploadId></InitiateMultipartUploadResult>"),
            { Method.Method: "PUT" } => Xml("<Error><Code>AccessDenied</Code><Message>no</Message></Error>", HttpStatusCode.Forbidden),
            { Method.Method: "DELETE" } => new HttpResponseMessage(HttpStatusCode.NoContent),
            _ => Xml("<Error><Code>Unexpected</Code></Error>", HttpStatusCode.BadRequest),
        }, CopyOptions.Default with { MultipartThreshold = 5L * 1024 * 1024, PartSize = 5L * 1024 * 1024 });

        await Assert.ThrowsAsync<AmazonS3Exception>(() => engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "big.cdf", Size = size }, "source", Once, default));

        var abort = Assert.Single(s3.Requests, request => request.Method == HttpMethod.Delete);
        Assert.Contains("uploadId=u-2", abort.PathAndQuery);
        Assert.DoesNotContain(s3.Requests, request => request.Method == HttpMethod.Post && request.PathAndQuery.Contains("uploadId=u-2"));
    }

    [Fact]
    public void Part_sizes_grow_past_the_10000_part_limit()
    {
        Assert.Equal(512L * 1024 * 1024, CopyOptions.Default.PartSizeFor(100L * 1024 * 1024 * 1024));
        const long fiveTiB = 5L * 1024 * 1024 * 1024 * 1024;
        var part = CopyOptions.Default.PartSizeFor(fiveTiB);
        Assert.True(part * CopyOptions.MaxParts >= fiveTiB);
        Assert.True((part - 1) * CopyOptions.MaxParts < fiveTiB);
    }
}
