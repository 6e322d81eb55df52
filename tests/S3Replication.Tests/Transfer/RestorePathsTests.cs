using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Records;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using Xunit;

namespace S3Replication.Tests.Transfer;

/// <summary>
/// The four copy paths (server-side CopyObject and UploadPartCopy, streamed PUT and streamed parts) on the wire: one
/// encryption rule on all of them, streamed parts within the run's buffer budget, and the tag check after a multipart copy.
/// </summary>
public class RestorePathsTests
{
    private const string BackupKey = "arn:aws:kms:eu-west-2:222222222222:key/backup-key";
    private const string SourceKey = "arn:aws:kms:eu-west-2:111111111111:key/source-key";
    private const long MiB = 1024 * 1024;

    /// <summary>A backup bucket with SSE-KMS objects under the backup account's key, and a source bucket that accepts everything.</summary>
    private sealed class Buckets
    {
        private readonly Dictionary<string, byte[]> _objects = new();
        private int _uploads;

        public Buckets(params (string Key, int Size)[] objects)
        {
            foreach (var (key, size) in objects)
            {
                _objects[key] = RandomNumberGenerator.GetBytes(size);
            }
            Backup = new FakeS3(Answer);
            Source = new FakeS3(Answer);
        }

        public FakeS3 Backup { get; }
        public FakeS3 Source { get; }
        public bool SourceKeepsMultipartTags { get; init; }
        public byte[] Body(string key) => _objects[key];

        private HttpResponseMessage Answer(RecordedRequest sent)
        {
            var path = sent.Uri.AbsolutePath;
            var query = sent.Uri.Query;
            var key = Uri.UnescapeDataString(path.Substring(path.IndexOf('/', 1) + 1));
            switch (sent.Method.Method)
            {
                case "HEAD" or "GET" when path.StartsWith("/backup/", StringComparison.Ordinal) && !query.Contains("tagging") && !query.Contains("uploads"):
                    return Read(key, sent);
                case "GET" when query.Contains("tagging"):
                    return FakeS3.Xml(path.StartsWith("/backup/", StringComparison.Ordinal) || SourceKeepsMultipartTags
                        ? "<Tagging><TagSet><Tag><Key>team</Key><Value>mag</Value></Tag></TagSet></Tagging>"
                        : "<Tagging><TagSet></TagSet></Tagging>");
                case "GET" when query.Contains("uploads"):
                    return FakeS3.Xml("<ListMultipartUploadsResult><Bucket>source</Bucket></ListMultipartUploadsResult>");
                case "POST" when query.Contains("uploads"):
                    return FakeS3.Xml($"<InitiateMultipartUploadResult><Bucket>source</Bucket><Key>{key}</Key><UploadId>u-{Interlocked.Increment(ref _uploads)}</UploadId></InitiateMultipartUploadResult>");
                case "POST" when query.Contains("uploadId"):
                    return FakeS3.Xml("<CompleteMultipartUploadResult><ETag>\"done-2\"</ETag></CompleteMultipartUploadResult>");
                case "PUT" when query.Contains("tagging"):
                    return new HttpResponseMessage(HttpStatusCode.OK);
                case "PUT" when query.Contains("partNumber") && sent.Headers.ContainsKey("x-amz-copy-source"):
                    return FakeS3.Xml("<CopyPartResult><ETag>\"p\"</ETag><LastModified>2025-01-01T00:00:00.000Z</LastModified></CopyPartResult>");
                case "PUT" when sent.Headers.ContainsKey("x-amz-copy-source"):
                    return FakeS3.Xml("<CopyObjectResult><ETag>\"c\"</ETag><LastModified>2025-01-01T00:00:00.000Z</LastModified></CopyObjectResult>");
                case "PUT":
                    var answer = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Array.Empty<byte>()) };
                    answer.Headers.TryAddWithoutValidation("ETag", "\"u\"");
                    return answer;
                default:
                    return FakeS3.Xml("<Error><Code>Unexpected</Code></Error>", HttpStatusCode.BadRequest);
            }
        }

        private HttpResponseMessage Read(string key, RecordedRequest sent)
        {
            var body = _objects[key];
            var (first, last) = (0L, body.LongLength - 1);
            if (sent.Headers.TryGetValue("range", out var range))
            {
                var bounds = range.Substring("bytes=".Length).Split('-');
                (first, last) = (long.Parse(bounds[0]), Math.Min(long.Parse(bounds[1]), body.LongLength - 1));
            }
            var slice = sent.Method == HttpMethod.Head ? Array.Empty<byte>() : body.AsSpan((int)first, (int)(last - first + 1)).ToArray();
            var response = new HttpResponseMessage(range is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent) { Content = new ByteArrayContent(slice) };
            response.Content.Headers.ContentLength = sent.Method == HttpMethod.Head ? body.LongLength : slice.LongLength;
            if (range is not null)
            {
                response.Content.Headers.ContentRange = new ContentRangeHeaderValue(first, last, body.LongLength);
            }
            response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-cdf");
            response.Headers.TryAddWithoutValidation("ETag", "\"etag-of-" + key + "\"");
            response.Headers.TryAddWithoutValidation("x-amz-server-side-encryption", "aws:kms");
            response.Headers.TryAddWithoutValidation("x-amz-server-side-encryption-aws-kms-key-id", BackupKey);
            response.Headers.TryAddWithoutValidation("x-amz-meta-instrument", "mag");
            response.Headers.TryAddWithoutValidation("x-amz-tagging-count", "1");
            return response;
        }
    }

    private static CopyEngine Engine(Buckets buckets, bool serverSide, CopyOptions options) =>
        serverSide ? new CopyEngine(buckets.Source.Client(), buckets.Source.Client(), true, options)
            : new CopyEngine(buckets.Backup.Client(), buckets.Source.Client(), false, options);

    /// <summary>The request that decides the new object's encryption on each path.</summary>
    private static RecordedRequest Writing(FakeS3 source, bool multipart) => multipart
        ? Assert.Single(source.Requests, request => request.Method == HttpMethod.Post && request.Uri.Query.Contains("uploads"))
        : Assert.Single(source.Requests, request => request.Method == HttpMethod.Put && !request.Uri.Query.Contains("tagging"));

    public static TheoryData<bool, bool> Paths => new() { { true, false }, { true, true }, { false, false }, { false, true } };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task By_default_no_path_sends_encryption_so_the_source_bucket_default_applies(bool serverSide, bool multipart)
    {
        var buckets = new Buckets(("imap/a.cdf", (int)(12 * MiB)));
        var options = CopyOptions.Default with
        {
            MultipartThreshold = multipart ? 5 * MiB : CopyOptions.FiveGiB, PartSize = 5 * MiB, StreamPartSize = 5 * MiB, CannedAcl = Amazon.S3.S3CannedACL.BucketOwnerFullControl,
        };

        await Engine(buckets, serverSide, options).CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "imap/a.cdf", Size = 12 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);

        var write = Writing(buckets.Source, multipart);
        Assert.False(write.Headers.ContainsKey("x-amz-server-side-encryption"), $"no SSE header on {write.Method} {write.PathAndQuery}");
        Assert.Equal("bucket-owner-full-control", write.Header("x-amz-acl"));   // the ACL the run decided rides on every path
        Assert.DoesNotContain(buckets.Source.Requests, request => request.Headers.Values.Any(value => value.Contains("backup-key")));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task No_acl_decided_sends_none_on_any_path(bool serverSide, bool multipart)
    {
        var buckets = new Buckets(("imap/a.cdf", (int)(12 * MiB)));
        var options = CopyOptions.Default with
        {
            MultipartThreshold = multipart ? 5 * MiB : CopyOptions.FiveGiB, PartSize = 5 * MiB, StreamPartSize = 5 * MiB, CannedAcl = null,
        };

        await Engine(buckets, serverSide, options).CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "imap/a.cdf", Size = 12 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);

        Assert.DoesNotContain(buckets.Source.Requests, request => request.Headers.ContainsKey("x-amz-acl"));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task KmsKeyId_encrypts_with_the_source_side_key_on_every_path(bool serverSide, bool multipart)
    {
        var buckets = new Buckets(("imap/a.cdf", (int)(12 * MiB)));
        var options = CopyOptions.Default with
        {
            MultipartThreshold = multipart ? 5 * MiB : CopyOptions.FiveGiB, PartSize = 5 * MiB, StreamPartSize = 5 * MiB,
            Encryption = EncryptionMode.KmsKey, KmsKeyId = SourceKey,
        };

        await Engine(buckets, serverSide, options).CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "imap/a.cdf", Size = 12 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);

        var write = Writing(buckets.Source, multipart);
        Assert.Equal("aws:kms", write.Header("x-amz-server-side-encryption"));
        Assert.Equal(SourceKey, write.Header("x-amz-server-side-encryption-aws-kms-key-id"));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task PreserveEncryption_keeps_the_backup_objects_method_and_key_on_every_path(bool serverSide, bool multipart)
    {
        var buckets = new Buckets(("imap/a.cdf", (int)(12 * MiB)));
        var options = CopyOptions.Default with
        {
            MultipartThreshold = multipart ? 5 * MiB : CopyOptions.FiveGiB, PartSize = 5 * MiB, StreamPartSize = 5 * MiB, Encryption = EncryptionMode.Preserve,
        };

        await Engine(buckets, serverSide, options).CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "imap/a.cdf", Size = 12 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);

        var write = Writing(buckets.Source, multipart);
        Assert.Equal("aws:kms", write.Header("x-amz-server-side-encryption"));
        Assert.Equal(BackupKey, write.Header("x-amz-server-side-encryption-aws-kms-key-id"));
    }

    [Fact]
    public async Task Streamed_parts_of_many_large_objects_stay_within_the_buffer_budget_and_arrive_whole()
    {
        var keys = Enumerable.Range(0, 4).Select(index => ($"imap/big-{index}.cdf", (int)(23 * MiB))).ToArray();
        var buckets = new Buckets(keys);
        var options = CopyOptions.Default with { MultipartThreshold = 5 * MiB, StreamPartSize = 5 * MiB, BufferLimit = 12 * MiB, PartConcurrency = 8 };
        var engine = Engine(buckets, serverSide: false, options);

        await Task.WhenAll(keys.Select(key => engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = key.Item1, Size = key.Item2 }, "source", S3Replication.Core.RetryPolicies.S3, default)));

        Assert.InRange(engine.Buffers.PeakInUse, 5 * MiB, 12 * MiB);
        Assert.InRange(engine.Buffers.Allocated, 0, 12 * MiB);
        foreach (var (key, _) in keys)
        {
            var uploads = buckets.Source.Requests.Where(request => request.Method == HttpMethod.Put && request.Uri.AbsolutePath == "/source/" + key && request.Uri.Query.Contains("partNumber"))
                .OrderBy(request => int.Parse(System.Web.HttpUtility.ParseQueryString(request.Uri.Query)["partNumber"]!)).ToList();
            Assert.Equal(5, uploads.Count);
            Assert.Equal(buckets.Body(key), uploads.SelectMany(part => Payload(part)).ToArray());
        }
        var gets = buckets.Backup.Requests.Where(request => request.Method == HttpMethod.Get && request.Headers.ContainsKey("range")).ToList();
        Assert.Equal(20, gets.Count);
        Assert.All(gets, get => Assert.Equal("\"etag-of-" + Uri.UnescapeDataString(get.Uri.AbsolutePath.Substring("/backup/".Length)) + "\"", get.Header("if-match")));
    }

    /// <summary>The part's bytes, whether the SDK sent them plain or in aws-chunked frames.</summary>
    private static IEnumerable<byte> Payload(RecordedRequest part)
    {
        if (!part.Header("content-encoding").Contains("aws-chunked") && !part.Header("x-amz-content-sha256").StartsWith("STREAMING", StringComparison.Ordinal))
        {
            return part.BodyBytes;
        }
        var bytes = part.BodyBytes;
        var payload = new List<byte>();
        var at = 0;
        while (at < bytes.Length)
        {
            var lineEnd = Array.IndexOf(bytes, (byte)'\r', at);
            var header = System.Text.Encoding.ASCII.GetString(bytes, at, lineEnd - at);
            var length = Convert.ToInt32(header.Split(';')[0], 16);
            if (length == 0)
            {
                break;
            }
            payload.AddRange(bytes.Skip(lineEnd + 2).Take(length));
            at = lineEnd + 2 + length + 2;
        }
        return payload;
    }

    [Fact]
    public async Task A_server_that_keeps_multipart_tags_is_checked_once_and_never_sent_them_again()
    {
        var buckets = new Buckets(("a.cdf", (int)(6 * MiB)), ("b.cdf", (int)(6 * MiB))) { SourceKeepsMultipartTags = true };
        var engine = Engine(buckets, serverSide: true, CopyOptions.Default with { MultipartThreshold = 5 * MiB, PartSize = 5 * MiB });

        await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "a.cdf", Size = 6 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);
        await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "b.cdf", Size = 6 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);

        Assert.Single(buckets.Source.Requests, request => request.Method == HttpMethod.Get && request.Uri.AbsolutePath.StartsWith("/source/") && request.Uri.Query.Contains("tagging"));
        Assert.DoesNotContain(buckets.Source.Requests, request => request.Method == HttpMethod.Put && request.Uri.Query.Contains("tagging"));
    }

    [Fact]
    public async Task A_server_that_drops_multipart_tags_gets_them_put_again_after_every_copy_without_a_second_check()
    {
        var buckets = new Buckets(("a.cdf", (int)(6 * MiB)), ("b.cdf", (int)(6 * MiB)));
        var engine = Engine(buckets, serverSide: true, CopyOptions.Default with { MultipartThreshold = 5 * MiB, PartSize = 5 * MiB });

        await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "a.cdf", Size = 6 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);
        await engine.CopyAsync(new S3ObjectRecord { Bucket = "backup", Key = "b.cdf", Size = 6 * MiB }, "source", S3Replication.Core.RetryPolicies.S3, default);

        Assert.Single(buckets.Source.Requests, request => request.Method == HttpMethod.Get && request.Uri.AbsolutePath.StartsWith("/source/") && request.Uri.Query.Contains("tagging"));
        Assert.Equal(2, buckets.Source.Requests.Count(request => request.Method == HttpMethod.Put && request.Uri.Query.Contains("tagging")));
    }

    [Fact]
    public async Task The_first_part_that_fails_stops_its_siblings_and_no_further_part_starts()
    {
        var started = 0;
        var cancelled = 0;
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => MultipartParts.SendAsync(1000, 10, 4, async (number, _, _, token) =>
        {
            Interlocked.Increment(ref started);
            if (number == 3)
            {
                throw new InvalidOperationException("part 3 failed");
            }
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }
            return new Amazon.S3.Model.PartETag(number, "etag");
        }, default));

        Assert.Equal("part 3 failed", failure.Message);
        Assert.InRange(started, 3, 4);
        Assert.Equal(started - 1, cancelled);
    }

    [Fact]
    public async Task The_buffer_budget_lends_no_more_than_its_limit_and_serves_waiters_in_turn()
    {
        var budget = new BufferBudget(10);
        using var first = await budget.RentAsync(6, default);
        var second = budget.RentAsync(6, default);
        var third = budget.RentAsync(2, default);
        await Task.Delay(20);
        Assert.False(second.IsCompleted, "6 + 6 does not fit 10");
        Assert.False(third.IsCompleted, "a small part does not overtake a waiting large one");

        first.Dispose();
        using var secondLease = await second;
        using var thirdLease = await third;
        Assert.Same(first.Buffer, secondLease.Buffer);
        Assert.Equal(8, budget.PeakInUse);
        Assert.InRange(budget.Allocated, 8, 10);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => budget.RentAsync(11, default));
    }

    [Fact]
    public async Task A_cancelled_wait_for_a_buffer_takes_nothing()
    {
        var budget = new BufferBudget(10);
        using var held = await budget.RentAsync(10, default);
        using var stop = new CancellationTokenSource();
        var waiting = budget.RentAsync(5, stop.Token);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        using var next = await budget.RentAsync(10, default);
        Assert.Equal(10, next.Buffer.Length);
    }
}
