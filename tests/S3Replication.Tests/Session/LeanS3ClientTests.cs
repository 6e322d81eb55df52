using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Transform;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Session;
using S3Replication.Tests.Support;
using Xunit;

namespace S3Replication.Tests.Session;

/// <summary>
/// The lean path of <see cref="LeanS3Client"/> (HeadObject and CopyObject) against the plain SDK it stands in for: for the
/// same canned HTTP answers a plain <see cref="AmazonS3Client"/> built the same way (one attempt) and the lean client
/// give equal responses and equal exceptions, and for the same request objects they send the same request. Both run
/// AWS-style (virtual-hosted, no endpoint URL, the SDK's default checksum settings) and path-style against an endpoint URL.
/// </summary>
public sealed class LeanS3ClientTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private const string SessionToken = "IQoJb3JpZ2luX2VjEXAMPLE//session+token/with=padding==";
    private const string Bucket = "sds-data-dev";
    private const string SourceBucket = "sds-data-dev-backup";
    private const string KmsKey = "arn:aws:kms:eu-west-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    /// <summary>SHA-256 of no bytes: the payload hash of every HeadObject and CopyObject.</summary>
    private const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static readonly AWSCredentials Credentials = new SessionAWSCredentials(AccessKey, SecretKey, SessionToken);

    /// <summary>AWS-style: virtual-hosted buckets in eu-west-2, the SDK's default checksum settings (as the module runs against AWS).</summary>
    private static readonly ClientSettings AwsStyle = new("eu-west-2", null, false, null, 1, null, null);

    /// <summary>Path-style against an endpoint URL, checksums only where required (as against Ceph RGW).</summary>
    private static readonly ClientSettings PathStyle = new("eu-west-2", "http://s3.test", true, null, 1,
        RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation.WHEN_REQUIRED);

    private static ClientSettings Style(string name) => name switch
    {
        "aws" => AwsStyle,
        "path" => PathStyle,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static readonly string[] Styles = { "aws", "path" };

    // ---------------------------------------------------------------- canned answers

    private const string RequestId = "4442587FB7D0A2F9";
    private const string HostId = "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=";

    private static readonly (string Name, string Value)[] RequestIds =
    {
        ("x-amz-request-id", RequestId), ("x-amz-id-2", HostId), ("Server", "AmazonS3"),
    };

    /// <summary>Everything a HeadObject may answer with, as S3 writes it.</summary>
    private static readonly (string Name, string Value)[] RichHead = RequestIds.Concat(new[]
    {
        ("ETag", "\"3858f62230ac3c915f300c664312c11f-48\""),
        ("Content-Length", "6442450944"),
        ("Last-Modified", "Wed, 02 Dec 2026 10:15:30 GMT"),
        ("x-amz-version-id", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"),
        ("Content-Type", "application/x-netcdf"),
        ("Cache-Control", "max-age=3600, must-revalidate"),
        ("Content-Disposition", "attachment; filename=\"l1 a+b.cdf\""),
        ("Content-Encoding", "gzip"),
        ("Content-Language", "en-GB"),
        ("Expires", "Thu, 31 Dec 2026 23:59:59 GMT"),
        ("Accept-Ranges", "bytes"),
        ("x-amz-meta-team", "mag"),
        ("x-amz-meta-Mixed-Case", "Value With  Spaces, and a comma"),
        ("x-amz-meta-empty", ""),
        ("x-amz-meta-encoded", "=?UTF-8?B?w6l0w6k=?="),
        ("x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
        ("x-amz-checksum-crc32", "AAAAAA=="),
        ("x-amz-checksum-crc32c", "AAAAAA=="),
        ("x-amz-checksum-crc64nvme", "AAAAAAAAAAA="),
        ("x-amz-checksum-type", "COMPOSITE"),
        ("x-amz-mp-parts-count", "48"),
        ("x-amz-server-side-encryption", "aws:kms"),
        ("x-amz-server-side-encryption-aws-kms-key-id", KmsKey),
        ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
        ("x-amz-storage-class", "STANDARD_IA"),
        ("x-amz-restore", "ongoing-request=\"false\", expiry-date=\"Mon, 21 Dec 2026 00:00:00 GMT\""),
        ("x-amz-expiration", "expiry-date=\"Wed, 23 Dec 2026 00:00:00 GMT\", rule-id=\"picture-deletion-rule\""),
        ("x-amz-replication-status", "COMPLETED"),
        ("x-amz-delete-marker", "false"),
        ("x-amz-object-lock-mode", "GOVERNANCE"),
        ("x-amz-object-lock-retain-until-date", "2027-01-01T00:00:00.000Z"),
        ("x-amz-object-lock-legal-hold", "ON"),
        ("x-amz-tagging-count", "2"),
        ("x-amz-website-redirect-location", "/other/page.html"),
        ("x-amz-request-charged", "requester"),
    }).ToArray();

    /// <summary>HeadObject answers by name, each a status and headers (a HEAD has no body).</summary>
    private static readonly Dictionary<string, (HttpStatusCode Status, (string Name, string Value)[] Headers)> HeadAnswers = new()
    {
        ["rich"] = (HttpStatusCode.OK, RichHead),
        ["restoring"] = (HttpStatusCode.OK, RequestIds.Concat(new[]
        {
            ("ETag", "\"9b2cf535f27731c974343645a3985328\""), ("Content-Length", "11"), ("Last-Modified", "Wed, 02 Dec 2026 10:15:30 GMT"),
            ("x-amz-storage-class", "GLACIER"), ("x-amz-restore", "ongoing-request=\"true\""), ("x-amz-archive-status", "ARCHIVE_ACCESS"),
            ("x-amz-server-side-encryption", "AES256"), ("x-amz-replication-status", "REPLICA"),
        }).ToArray()),
        // Without any request id or size header: what an S3-compatible server may send.
        ["bare"] = (HttpStatusCode.OK, new[] { ("ETag", "\"9b2cf535f27731c974343645a3985328\"") }),
        // A header given as a list: .NET splits Content-Encoding and Content-Language into their values.
        ["listed"] = (HttpStatusCode.OK, RequestIds.Concat(new[]
        {
            ("ETag", "\"9b2cf535f27731c974343645a3985328\""), ("Content-Length", "11"), ("Content-Encoding", "gzip, br"),
            ("Content-Language", "en-GB, cy"), ("x-amz-meta-list", "a, b"),
        }).ToArray()),
    };

    private static readonly Dictionary<string, (HttpStatusCode Status, (string Name, string Value)[] Headers)> HeadErrors = new()
    {
        ["404"] = (HttpStatusCode.NotFound, RequestIds),
        ["404 delete marker"] = (HttpStatusCode.NotFound, RequestIds.Append(("x-amz-delete-marker", "true")).Append(("x-amz-version-id", "dm-1")).ToArray()),
        ["405 delete marker"] = (HttpStatusCode.MethodNotAllowed, RequestIds.Append(("x-amz-delete-marker", "true")).Append(("Allow", "DELETE")).ToArray()),
        ["403"] = (HttpStatusCode.Forbidden, RequestIds),
        ["400"] = (HttpStatusCode.BadRequest, RequestIds),
        // No x-amz-bucket-region: nothing to follow.
        ["301"] = (HttpStatusCode.MovedPermanently, RequestIds),
        ["500"] = (HttpStatusCode.InternalServerError, RequestIds),
        ["503"] = (HttpStatusCode.ServiceUnavailable, RequestIds),
        ["503 without ids"] = (HttpStatusCode.ServiceUnavailable, Array.Empty<(string, string)>()),
    };

    private static string CopyResult(string extra = "") =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
        "<LastModified>2026-12-02T10:15:30.000Z</LastModified><ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>" + extra + "</CopyObjectResult>";

    private static readonly (string Name, string Value)[] CopyHeaders = RequestIds.Concat(new[]
    {
        ("x-amz-version-id", "UIORUnfndfhnw89493jJFJ"),
        ("x-amz-copy-source-version-id", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"),
        ("x-amz-server-side-encryption", "aws:kms"),
        ("x-amz-server-side-encryption-aws-kms-key-id", KmsKey),
        ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
        ("x-amz-server-side-encryption-context", "eyJhIjoiYiJ9"),
        ("x-amz-expiration", "expiry-date=\"Wed, 23 Dec 2026 00:00:00 GMT\", rule-id=\"rule 1\""),
        ("x-amz-request-charged", "requester"),
    }).ToArray();

    /// <summary>CopyObject answers by name: status, headers, body, and whether the body comes chunked (no Content-Length, as S3 sends a copy's answer).</summary>
    private static readonly Dictionary<string, (HttpStatusCode Status, (string Name, string Value)[] Headers, string Body, bool Chunked)> CopyAnswers = new()
    {
        ["checksums"] = (HttpStatusCode.OK, CopyHeaders, CopyResult("<ChecksumCRC32>i9aeUg==</ChecksumCRC32><ChecksumCRC32C>yZRlqg==</ChecksumCRC32C>" +
            "<ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME><ChecksumSHA1>Kq5sNclPz7QV2+lfQIuc6R7oRu0=</ChecksumSHA1>" +
            "<ChecksumSHA256>uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=</ChecksumSHA256><ChecksumType>FULL_OBJECT</ChecksumType>"), false),
        ["chunked"] = (HttpStatusCode.OK, CopyHeaders, CopyResult("<ChecksumSHA256>uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=</ChecksumSHA256>"), true),
        // S3 keeps a long copy's connection open with white space before the document.
        ["whitespace first"] = (HttpStatusCode.OK, CopyHeaders, "\n \n \n" + "<CopyObjectResult><LastModified>2026-12-02T10:15:30.000Z</LastModified>" +
            "<ETag>\"9b2cf535f27731c974343645a3985328\"</ETag></CopyObjectResult>", true),
        ["plain"] = (HttpStatusCode.OK, RequestIds, CopyResult(), false),
        ["unversioned, no ids"] = (HttpStatusCode.OK, Array.Empty<(string, string)>(), CopyResult(), false),
    };

    private static string ErrorDocument(string code, string message, string extra = "") =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>{RequestId}</RequestId><HostId>{HostId}</HostId></Error>";

    private static readonly Dictionary<string, (HttpStatusCode Status, (string Name, string Value)[] Headers, string Body, bool Chunked)> CopyErrors = new()
    {
        ["403 AccessDenied"] = (HttpStatusCode.Forbidden, RequestIds, ErrorDocument("AccessDenied", "Access Denied"), false),
        ["404 NoSuchKey"] = (HttpStatusCode.NotFound, RequestIds, ErrorDocument("NoSuchKey", "The specified key does not exist.", "<Key>imap/l1 a+b.cdf</Key>"), false),
        ["404 NoSuchBucket"] = (HttpStatusCode.NotFound, RequestIds, ErrorDocument("NoSuchBucket", "The specified bucket does not exist", $"<BucketName>{Bucket}</BucketName>"), false),
        ["503 SlowDown"] = (HttpStatusCode.ServiceUnavailable, RequestIds, ErrorDocument("SlowDown", "Please reduce your request rate."), false),
        ["500 InternalError"] = (HttpStatusCode.InternalServerError, RequestIds, ErrorDocument("InternalError", "We encountered an internal error. Please try again."), false),
        ["400 InvalidRequest"] = (HttpStatusCode.BadRequest, RequestIds, ErrorDocument("InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata."), false),
        ["307 TemporaryRedirect"] = (HttpStatusCode.TemporaryRedirect, RequestIds, ErrorDocument("TemporaryRedirect", "Please re-send this request to the specified temporary endpoint.",
            $"<Endpoint>{Bucket}.s3-eu-west-2.amazonaws.com</Endpoint><Bucket>{Bucket}</Bucket>"), false),
        // A copy that failed after S3 had answered 200 OK: the error comes in the body.
        ["200 InternalError"] = (HttpStatusCode.OK, RequestIds, ErrorDocument("InternalError", "We encountered an internal error. Please try again."), true),
        ["200 InternalError, white space first"] = (HttpStatusCode.OK, RequestIds, "\n \n" + ErrorDocument("InternalError", "We encountered an internal error.")[38..], true),
        ["200 SlowDown, no ids"] = (HttpStatusCode.OK, Array.Empty<(string, string)>(), ErrorDocument("SlowDown", "Please reduce your request rate."), false),
        // A proxy's answer rather than S3's.
        ["502 HTML"] = (HttpStatusCode.BadGateway, Array.Empty<(string, string)>(), "<html><body><h1>502 Bad Gateway</h1></body></html>", false),
        ["500 empty"] = (HttpStatusCode.InternalServerError, RequestIds, "", false),
        ["200 not XML"] = (HttpStatusCode.OK, RequestIds, "this is not XML", false),
    };

    public static IEnumerable<object[]> Cases(IEnumerable<string> names) => from style in Styles from name in names select new object[] { style, name };

    public static IEnumerable<object[]> HeadAnswerCases => Cases(HeadAnswers.Keys);
    public static IEnumerable<object[]> HeadErrorCases => Cases(HeadErrors.Keys);
    public static IEnumerable<object[]> CopyAnswerCases => Cases(CopyAnswers.Keys);
    public static IEnumerable<object[]> CopyErrorCases => Cases(CopyErrors.Keys);

    private static HttpResponseMessage Answer(HttpStatusCode status, IEnumerable<(string Name, string Value)> headers, string? body = null, bool chunked = false)
    {
        var bytes = Encoding.UTF8.GetBytes(body ?? "");
        var response = new HttpResponseMessage(status) { Content = chunked ? new UnknownLengthContent(bytes) : new ByteArrayContent(bytes) };
        if (body is { Length: > 0 })
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/xml");
        }
        // S3 dates every answer. The SDK learns each endpoint's clock skew from it, process-wide: now, unless a test says otherwise.
        if (!headers.Any(header => header.Name == "Date"))
        {
            response.Headers.Date = DateTimeOffset.UtcNow;
        }
        foreach (var (name, value) in headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                Assert.True(response.Content.Headers.TryAddWithoutValidation(name, value), name);
            }
        }
        return response;
    }

    /// <summary>A body sent chunked: its length is not known before it is read.</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] _bytes;
        public UnknownLengthContent(byte[] bytes) => _bytes = bytes;
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes, 0, _bytes.Length);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    // ---------------------------------------------------------------- the two clients

    /// <summary>An HTTP endpoint answering from a script, one answer a request; a request beyond it gets a 599 the test would see.</summary>
    private static FakeS3 Server(params Func<HttpResponseMessage>[] answers)
    {
        var next = -1;
        return new FakeS3(_ => Interlocked.Increment(ref next) is var at && at < answers.Length
            ? answers[at]()
            : new HttpResponseMessage((HttpStatusCode)599) { Content = new StringContent("not scripted") });
    }

    private static AmazonS3Client Reference(ClientSettings settings, FakeS3 http) =>
        new(Credentials, AwsSession.S3Config(settings, new RecordingHttpClientFactory(http)));

    private static LeanS3Client Lean(ClientSettings settings, FakeS3 http) =>
        new(Credentials, AwsSession.S3Config(settings, new RecordingHttpClientFactory(http)));

    /// <summary>What a call gave: its response or the exception it threw.</summary>
    private sealed record Outcome(object? Response, Exception? Error);

    private static async Task<Outcome> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return new Outcome(await call(), null);
        }
        catch (Exception error)
        {
            return new Outcome(null, error);
        }
    }

    /// <summary>Runs <paramref name="call"/> on the plain SDK client and on the lean client, each answered by <paramref name="answers"/>.</summary>
    private static async Task<(Outcome Reference, Outcome Lean, FakeS3 ReferenceHttp, FakeS3 LeanHttp)> Both<T>(ClientSettings settings,
        Func<AmazonS3Client, Task<T>> call, params Func<HttpResponseMessage>[] answers)
    {
        var referenceHttp = Server(answers);
        var leanHttp = Server(answers);
        using var reference = Reference(settings, referenceHttp);
        using var lean = Lean(settings, leanHttp);
        var referenceOutcome = await Run(() => call(reference));
        var leanOutcome = await Run(() => call(lean));
        return (referenceOutcome, leanOutcome, referenceHttp, leanHttp);
    }

    private static GetObjectMetadataRequest Head(string key = "imap/mag/l1 a+b.cdf") => new() { BucketName = Bucket, Key = key };

    private static CopyObjectRequest Copy(string key = "imap/mag/l1 a+b.cdf") => new()
    {
        SourceBucket = SourceBucket, SourceKey = key, SourceVersionId = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
        DestinationBucket = Bucket, DestinationKey = key,
    };

    // ---------------------------------------------------------------- 1. HeadObject answers

    [Theory]
    [MemberData(nameof(HeadAnswerCases))]
    public async Task HeadObject_answers_as_the_SDK_reads_them(string style, string answer)
    {
        var (status, headers) = HeadAnswers[answer];
        var (reference, lean, referenceHttp, leanHttp) = await Both(Style(style), client => client.GetObjectMetadataAsync(Head()), () => Answer(status, headers));

        Assert.Null(reference.Error);
        Assert.Null(lean.Error);
        Assert.Single(referenceHttp.Requests);
        Assert.Single(leanHttp.Requests);
        AssertSameLines(DescribeResponse(reference.Response, referenceHttp), DescribeResponse(lean.Response, leanHttp));
    }

    [Fact]
    public async Task HeadObject_rich_answer_is_read_in_full()
    {
        // The comparison above is only as good as what the reference reads: it reads every header given.
        var (reference, lean, _, _) = await Both(AwsStyle, client => client.GetObjectMetadataAsync(Head()), () => Answer(HttpStatusCode.OK, RichHead));
        foreach (var response in new[] { (GetObjectMetadataResponse)reference.Response!, (GetObjectMetadataResponse)lean.Response! })
        {
            Assert.Equal(6L << 30, response.ContentLength);
            Assert.Equal(6L << 30, response.Headers.ContentLength);
            Assert.Equal("\"3858f62230ac3c915f300c664312c11f-48\"", response.ETag);
            Assert.Equal(HttpStatusCode.OK, response.HttpStatusCode);
            Assert.Equal(RequestId, response.ResponseMetadata.RequestId);
            Assert.Equal("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo", response.VersionId);
            Assert.Equal("mag", response.Metadata["x-amz-meta-team"]);
            Assert.Equal("Value With  Spaces, and a comma", response.Metadata["x-amz-meta-mixed-case"]);
            // As sent: the SDK does not decode RFC 2047 words in metadata.
            Assert.Equal("=?UTF-8?B?w6l0w6k=?=", response.Metadata["x-amz-meta-encoded"]);
            Assert.Equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", response.ChecksumSHA256);
            Assert.Equal("AAAAAAAAAAA=", response.ChecksumCRC64NVME);
            Assert.Equal(ChecksumType.COMPOSITE, response.ChecksumType);
            Assert.Equal(48, response.PartsCount);
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, response.ServerSideEncryptionMethod);
            Assert.Equal(KmsKey, response.ServerSideEncryptionKeyManagementServiceKeyId);
            Assert.True(response.BucketKeyEnabled);
            Assert.Equal(S3StorageClass.StandardInfrequentAccess, response.StorageClass);
            Assert.False(response.RestoreInProgress);
            Assert.Equal(new DateTime(2026, 12, 21, 0, 0, 0, DateTimeKind.Utc), response.RestoreExpiration?.ToUniversalTime());
            Assert.Equal(new DateTime(2026, 12, 23, 0, 0, 0, DateTimeKind.Utc), response.Expiration.ExpiryDate.ToUniversalTime());
            Assert.Equal("picture-deletion-rule", response.Expiration.RuleId);
            Assert.Equal(ReplicationStatus.Completed, response.ReplicationStatus);
            Assert.Equal(ObjectLockMode.Governance, response.ObjectLockMode);
            Assert.Equal(ObjectLockLegalHoldStatus.On, response.ObjectLockLegalHoldStatus);
            // .NET parses Cache-Control and writes its directives back in an order of its own (for the SDK's adapter alike).
            Assert.Equal("must-revalidate, max-age=3600", response.Headers.CacheControl);
            Assert.Equal("attachment; filename=\"l1 a+b.cdf\"", response.Headers.ContentDisposition);
            Assert.Equal("application/x-netcdf", response.Headers.ContentType);
        }
    }

    // ---------------------------------------------------------------- 2. CopyObject answers

    [Theory]
    [MemberData(nameof(CopyAnswerCases))]
    public async Task CopyObject_answers_as_the_SDK_reads_them(string style, string answer)
    {
        var (status, headers, body, chunked) = CopyAnswers[answer];
        var (reference, lean, referenceHttp, leanHttp) = await Both(Style(style), client => client.CopyObjectAsync(Copy()), () => Answer(status, headers, body, chunked));

        Assert.Null(reference.Error);
        Assert.Null(lean.Error);
        Assert.Single(referenceHttp.Requests);
        Assert.Single(leanHttp.Requests);
        AssertSameLines(DescribeResponse(reference.Response, referenceHttp), DescribeResponse(lean.Response, leanHttp));
        var response = (CopyObjectResponse)lean.Response!;
        Assert.Equal("\"9b2cf535f27731c974343645a3985328\"", response.ETag);
    }

    [Fact]
    public async Task CopyObject_answer_is_read_in_full()
    {
        var (status, headers, body, chunked) = CopyAnswers["checksums"];
        var (reference, lean, _, _) = await Both(AwsStyle, client => client.CopyObjectAsync(Copy()), () => Answer(status, headers, body, chunked));
        foreach (var response in new[] { (CopyObjectResponse)reference.Response!, (CopyObjectResponse)lean.Response! })
        {
            Assert.Equal("\"9b2cf535f27731c974343645a3985328\"", response.ETag);
            Assert.Equal("2026-12-02T10:15:30.000Z", response.LastModified);
            Assert.Equal("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=", response.ChecksumSHA256);
            Assert.Equal("i9aeUg==", response.ChecksumCRC32);
            Assert.Equal(ChecksumType.FULL_OBJECT, response.ChecksumType);
            Assert.Equal("UIORUnfndfhnw89493jJFJ", response.VersionId);
            Assert.Equal("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo", response.SourceVersionId);
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, response.ServerSideEncryptionMethod);
            Assert.Equal(KmsKey, response.ServerSideEncryptionKeyManagementServiceKeyId);
            Assert.True(response.BucketKeyEnabled);
            Assert.Equal(RequestId, response.ResponseMetadata.RequestId);
            Assert.Equal(HttpStatusCode.OK, response.HttpStatusCode);
        }
    }

    // ---------------------------------------------------------------- 3. errors

    [Theory]
    [MemberData(nameof(HeadErrorCases))]
    public async Task HeadObject_errors_are_the_SDKs(string style, string error)
    {
        var (status, headers) = HeadErrors[error];
        var (reference, lean, referenceHttp, leanHttp) = await Both(Style(style), client => client.GetObjectMetadataAsync(Head()), () => Answer(status, headers));

        Assert.IsType<AmazonS3Exception>(reference.Error);
        Assert.Equal(status, ((AmazonS3Exception)reference.Error!).StatusCode);
        Assert.Single(referenceHttp.Requests);
        Assert.Single(leanHttp.Requests);
        AssertSameLines(Describe(reference.Error), Describe(lean.Error));
    }

    [Theory]
    [MemberData(nameof(CopyErrorCases))]
    public async Task CopyObject_errors_are_the_SDKs(string style, string error)
    {
        var (status, headers, body, chunked) = CopyErrors[error];
        var (reference, lean, referenceHttp, leanHttp) = await Both(Style(style), client => client.CopyObjectAsync(Copy()), () => Answer(status, headers, body, chunked));

        Assert.NotNull(reference.Error);
        Assert.Single(referenceHttp.Requests);
        Assert.Single(leanHttp.Requests);
        AssertSameLines(Describe(reference.Error), Describe(lean.Error));
    }

    [Theory]
    [InlineData("aws")]
    [InlineData("path")]
    public async Task CopyObject_200_with_an_error_document_throws_the_error(string style)
    {
        // A copy that fails after S3 has answered 200 OK puts an <Error> document in the body. AWSSDK.S3 4.1.0 throws it
        // as the error it names (checked here on the plain SDK too), and so must the lean path, not read it as a result.
        var (status, headers, body, chunked) = CopyErrors["200 InternalError"];
        var (reference, lean, _, _) = await Both(Style(style), client => client.CopyObjectAsync(Copy()), () => Answer(status, headers, body, chunked));

        foreach (var outcome in new[] { reference, lean })
        {
            var error = Assert.IsType<AmazonS3Exception>(outcome.Error);
            Assert.Equal("InternalError", error.ErrorCode);
            Assert.Equal("We encountered an internal error. Please try again.", error.Message);
            Assert.Equal(RequestId, error.RequestId);
            Assert.Equal(HostId, error.AmazonId2);
            Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        }
    }

    [Fact]
    public async Task An_error_carries_the_SDKs_request_ids_and_code()
    {
        // The comparison of errors is only as good as what the reference reads: code, ids and type from the document.
        var (status, headers, body, chunked) = CopyErrors["403 AccessDenied"];
        var (reference, lean, _, _) = await Both(AwsStyle, client => client.CopyObjectAsync(Copy()), () => Answer(status, headers, body, chunked));
        foreach (var outcome in new[] { reference, lean })
        {
            var error = Assert.IsType<AmazonS3Exception>(outcome.Error);
            Assert.Equal("AccessDenied", error.ErrorCode);
            Assert.Equal("Access Denied", error.Message);
            Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
            Assert.Equal(ErrorType.Sender, error.ErrorType);
            Assert.Equal(RequestId, error.RequestId);
            Assert.Equal(HostId, error.AmazonId2);
        }
    }

    // ---------------------------------------------------------------- 4. the requests sent

    private static readonly string[] Keys =
    {
        "plain.txt", "imap/mag/l1 a+b.cdf", "with spaces/and  two.txt", "a+b=c&d;e,f:g@h$i!j'k(l)m*n.txt", "unicode/été-日本語-😀.txt", "tilde~name",
        "per%cent/100%25", "deep/er/still/key/", "/leading", "double//slash", "dots/../x/./y", "question?hash#", "[brackets]{braces}^`|\\",
    };

    public static IEnumerable<object[]> HeadRequestCases =>
        from style in Styles
        from key in Keys
        from variant in new[] { "plain", "version, owner, checksum mode" }
        select new object[] { style, key, variant };

    [Theory]
    [MemberData(nameof(HeadRequestCases))]
    public async Task HeadObject_sends_what_the_SDK_sends(string style, string key, string variant)
    {
        var request = Head(key);
        if (variant != "plain")
        {
            request.VersionId = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
            request.ExpectedBucketOwner = "111111111111";
            request.ChecksumMode = ChecksumMode.ENABLED;
        }
        var (reference, lean, referenceHttp, leanHttp) = await Both(Style(style), client => client.GetObjectMetadataAsync(request),
            () => Answer(HttpStatusCode.OK, HeadAnswers["restoring"].Headers));

        Assert.Null(reference.Error);
        Assert.Null(lean.Error);
        AssertSameRequest(style, key, referenceHttp.Requests.Single(), leanHttp.Requests.Single());
    }

    public static IEnumerable<object[]> CopyRequestCases =>
        from style in Styles
        from key in Keys
        from variant in new[] { "plain", "acl, kms, checksum, owners", "replace metadata" }
        select new object[] { style, key, variant };

    [Theory]
    [MemberData(nameof(CopyRequestCases))]
    public async Task CopyObject_sends_what_the_SDK_sends(string style, string key, string variant)
    {
        var request = Copy(key);
        // The key itself, or under another prefix (the key then not at the start of the path).
        request.DestinationKey = variant == "plain" ? key : "restored/" + key;
        switch (variant)
        {
            case "acl, kms, checksum, owners":
                request.CannedACL = S3CannedACL.BucketOwnerFullControl;
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                request.ServerSideEncryptionKeyManagementServiceKeyId = KmsKey;
                request.BucketKeyEnabled = true;
                request.ChecksumAlgorithm = ChecksumAlgorithm.SHA256;
                request.ExpectedSourceBucketOwner = "222222222222";
                request.ExpectedBucketOwner = "111111111111";
                request.StorageClass = S3StorageClass.GlacierInstantRetrieval;
                break;
            case "replace metadata":
                request.SourceVersionId = null;
                request.MetadataDirective = S3MetadataDirective.REPLACE;
                request.ContentType = "application/x-netcdf";
                request.Headers.CacheControl = "max-age=3600";
                request.Metadata["team"] = "mag";
                request.TaggingDirective = TaggingDirective.REPLACE;
                request.TagSet = new List<Tag> { new() { Key = "team", Value = "mag" } };
                request.ETagToMatch = "\"9b2cf535f27731c974343645a3985328\"";
                request.UnmodifiedSinceDate = new DateTime(2026, 12, 2, 10, 15, 30, DateTimeKind.Utc);
                break;
        }
        var (reference, lean, referenceHttp, leanHttp) = await Both(Style(style), client => client.CopyObjectAsync(request),
            () => Answer(HttpStatusCode.OK, RequestIds, CopyResult()));

        Assert.Null(reference.Error);
        Assert.Null(lean.Error);
        AssertSameRequest(style, request.DestinationKey, referenceHttp.Requests.Single(), leanHttp.Requests.Single());
        // The source as S3 reads it: bucket and key percent-decoded, then the version.
        var copySource = leanHttp.Requests.Single().Header("x-amz-copy-source");
        var versionAt = copySource.IndexOf("?versionId=", StringComparison.Ordinal);
        Assert.Equal($"{SourceBucket}/{key}", Uri.UnescapeDataString(versionAt < 0 ? copySource : copySource[..versionAt]).TrimStart('/'));
        Assert.Equal(request.SourceVersionId, versionAt < 0 ? null : Uri.UnescapeDataString(copySource[(versionAt + "?versionId=".Length)..]));
    }

    [Theory]
    [InlineData("aws", "https://sds-data-dev.s3.eu-west-2.amazonaws.com", "/imap/mag/l1%20a%2Bb.cdf")]
    [InlineData("path", "http://s3.test", "/sds-data-dev/imap/mag/l1%20a%2Bb.cdf")]
    public async Task The_lean_signature_is_SigV4_computed_independently(string style, string origin, string canonicalPath)
    {
        var http = Server(() => Answer(HttpStatusCode.OK, HeadAnswers["restoring"].Headers));
        using var lean = Lean(Style(style), http);
        await lean.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = "imap/mag/l1 a+b.cdf", VersionId = "v+1/2=" });

        var sent = http.Requests.Single();
        Assert.Equal(origin + canonicalPath + "?versionId=v%2B1%2F2%3D", sent.Uri.AbsoluteUri);
        Assert.Equal(SessionToken, sent.Header("x-amz-security-token"));
        Assert.Equal(EmptyPayloadHash, sent.Header("x-amz-content-sha256"));

        // The canonical request written out by hand (AWS docs, "Create a canonical request for Signature Version 4"):
        // the path's segments URI-encoded once, the query sorted and encoded, the signed headers in order.
        var date = sent.Header("x-amz-date");
        var host = new Uri(origin).Host;
        var canonical = string.Join("\n",
            "HEAD",
            canonicalPath,
            "versionId=v%2B1%2F2%3D",
            $"host:{host}",
            $"x-amz-content-sha256:{EmptyPayloadHash}",
            $"x-amz-date:{date}",
            $"x-amz-security-token:{SessionToken}",
            "",
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token",
            EmptyPayloadHash);
        var scope = $"{date[..8]}/eu-west-2/s3/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{date}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = new[] { date[..8], "eu-west-2", "s3", "aws4_request" }.Aggregate(Encoding.UTF8.GetBytes("AWS4" + SecretKey),
            (signingKey, part) => HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(part)));
        var signature = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

        Assert.Equal($"AWS4-HMAC-SHA256 Credential={AccessKey}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature={signature}",
            sent.Header("authorization"));
    }

    // ---------------------------------------------------------------- 5. region redirects

    private static readonly (string Name, string Value)[] ObjectHeaders = RequestIds.Concat(new[]
    {
        ("ETag", "\"9b2cf535f27731c974343645a3985328\""), ("Content-Length", "11"), ("Last-Modified", "Wed, 02 Dec 2026 10:15:30 GMT"),
    }).ToArray();

    private static HttpResponseMessage Moved(HttpStatusCode status, string region, bool body) =>
        Answer(status, RequestIds.Append(("x-amz-bucket-region", region)),
            body ? ErrorDocument(status == HttpStatusCode.BadRequest ? "AuthorizationHeaderMalformed" : status == HttpStatusCode.MovedPermanently ? "PermanentRedirect" : "TemporaryRedirect",
                "The bucket is in this region: " + region) : null);

    public static IEnumerable<object[]> RedirectCases =>
        from style in Styles
        from status in new[] { HttpStatusCode.MovedPermanently, HttpStatusCode.BadRequest, HttpStatusCode.TemporaryRedirect }
        from operation in new[] { "HeadObject", "CopyObject" }
        select new object[] { style, status, operation };

    private static Task Call(LeanS3Client client, string operation) => operation == "HeadObject"
        ? client.GetObjectMetadataAsync(Head())
        : client.CopyObjectAsync(Copy());

    private static Func<HttpResponseMessage> Success(string operation) => operation == "HeadObject"
        ? () => Answer(HttpStatusCode.OK, ObjectHeaders)
        : () => Answer(HttpStatusCode.OK, RequestIds, CopyResult());

    [Theory]
    [MemberData(nameof(RedirectCases))]
    public async Task A_bucket_in_another_region_is_followed_once_and_remembered(string style, HttpStatusCode status, string operation)
    {
        var http = Server(() => Moved(status, "us-west-2", body: operation == "CopyObject"), Success(operation), Success(operation));
        using var lean = Lean(Style(style), http);
        await Call(lean, operation);
        await Call(lean, operation);

        Assert.Equal(3, http.Requests.Count);
        Assert.Equal("eu-west-2", ScopeOf(http.Requests[0]).Region);
        Assert.All(http.Requests.Skip(1), sent => Assert.Equal("us-west-2", ScopeOf(sent).Region));
        foreach (var sent in http.Requests)
        {
            AssertSignedV4(sent, ScopeOf(sent).Region);
        }
        // The retry is the same request, only where the bucket is.
        AssertSameLines(Sent(http.Requests[1]), Sent(http.Requests[2]));
        if (style == "aws")
        {
            Assert.Equal($"{Bucket}.s3.eu-west-2.amazonaws.com", http.Requests[0].Uri.Host);
            Assert.Equal($"{Bucket}.s3.us-west-2.amazonaws.com", http.Requests[1].Uri.Host);
            Assert.Equal($"{Bucket}.s3.us-west-2.amazonaws.com", http.Requests[2].Uri.Host);
        }
        else
        {
            Assert.All(http.Requests, sent => Assert.Equal("s3.test", sent.Uri.Host));
            Assert.All(http.Requests, sent => Assert.StartsWith($"/{Bucket}/", sent.Uri.AbsolutePath, StringComparison.Ordinal));
        }
        Assert.Equal(http.Requests[0].Uri.PathAndQuery, http.Requests[1].Uri.PathAndQuery);
    }

    [Theory]
    [InlineData("aws", "HeadObject")]
    [InlineData("aws", "CopyObject")]
    [InlineData("path", "HeadObject")]
    [InlineData("path", "CopyObject")]
    public async Task A_second_redirect_is_not_followed(string style, string operation)
    {
        var http = Server(() => Moved(HttpStatusCode.MovedPermanently, "us-west-2", body: operation == "CopyObject"),
            () => Moved(HttpStatusCode.MovedPermanently, "eu-central-1", body: operation == "CopyObject"), Success(operation));
        using var lean = Lean(Style(style), http);

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => Call(lean, operation));
        Assert.Equal(HttpStatusCode.MovedPermanently, error.StatusCode);
        Assert.Equal(RequestId, error.RequestId);
        Assert.Equal(2, http.Requests.Count);
        Assert.Equal("us-west-2", ScopeOf(http.Requests[1]).Region);
    }

    [Theory]
    [InlineData("aws")]
    [InlineData("path")]
    public async Task A_redirect_to_the_region_signed_for_is_the_error(string style)
    {
        // Nothing to follow: the same request again would get the same answer.
        var http = Server(() => Moved(HttpStatusCode.BadRequest, "eu-west-2", body: true), Success("CopyObject"));
        using var lean = Lean(Style(style), http);

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => lean.CopyObjectAsync(Copy()));
        Assert.Equal("AuthorizationHeaderMalformed", error.ErrorCode);
        Assert.Single(http.Requests);
    }

    [Fact]
    public async Task A_redirect_with_a_success_status_is_not_followed()
    {
        // x-amz-bucket-region comes on every answer from S3: only a redirect status sends the request elsewhere.
        var http = Server(() => Answer(HttpStatusCode.Forbidden, RequestIds.Append(("x-amz-bucket-region", "us-west-2"))), Success("HeadObject"));
        using var lean = Lean(AwsStyle, http);

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => lean.GetObjectMetadataAsync(Head()));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Single(http.Requests);
    }

    // ---------------------------------------------------------------- 6. the client's events

    private sealed class Events
    {
        public List<AmazonWebServiceRequest> Before { get; } = new();
        public List<(AmazonWebServiceRequest Request, Exception Error)> Failed { get; } = new();

        public Events(AmazonS3Client client)
        {
            client.BeforeRequestEvent += (_, args) => Before.Add(Assert.IsType<WebServiceRequestEventArgs>(args).Request);
            client.ExceptionEvent += (_, args) =>
            {
                var failed = Assert.IsType<WebServiceExceptionEventArgs>(args);
                Failed.Add((failed.Request, failed.Exception));
            };
        }
    }

    public static IEnumerable<object[]> EventCases =>
        from style in Styles
        from operation in new[] { "HeadObject", "CopyObject" }
        from ok in new[] { true, false }
        select new object[] { style, operation, ok };

    [Theory]
    [MemberData(nameof(EventCases))]
    public async Task The_clients_events_fire_as_in_the_SDK(string style, string operation, bool ok)
    {
        Func<HttpResponseMessage> answer = ok ? Success(operation)
            : operation == "HeadObject" ? () => Answer(HttpStatusCode.Forbidden, RequestIds)
            : () => Answer(HttpStatusCode.Forbidden, RequestIds, ErrorDocument("AccessDenied", "Access Denied"));
        foreach (var lean in new[] { false, true })
        {
            var http = Server(answer);
            using var client = lean ? Lean(Style(style), http) : Reference(Style(style), http);
            var events = new Events(client);
            AmazonWebServiceRequest request = operation == "HeadObject" ? Head() : Copy();
            var outcome = await Run(async () => request is GetObjectMetadataRequest head
                ? (object)await client.GetObjectMetadataAsync(head)
                : await client.CopyObjectAsync((CopyObjectRequest)request));

            Assert.Same(request, Assert.Single(events.Before));
            if (ok)
            {
                Assert.Null(outcome.Error);
                Assert.Empty(events.Failed);
            }
            else
            {
                var (failedRequest, error) = Assert.Single(events.Failed);
                Assert.Same(request, failedRequest);
                Assert.Same(Unwrapped(outcome.Error!), error);
                // A HEAD's error has no body: its code is the status's name.
                Assert.Equal(operation == "HeadObject" ? "Forbidden" : "AccessDenied", Assert.IsType<AmazonS3Exception>(error).ErrorCode);
            }
        }
    }

    [Fact]
    public async Task The_request_event_fires_for_each_attempt_of_a_redirect()
    {
        var http = Server(() => Moved(HttpStatusCode.MovedPermanently, "us-west-2", body: false), Success("HeadObject"));
        using var lean = Lean(AwsStyle, http);
        var events = new Events(lean);
        var request = Head();
        await lean.GetObjectMetadataAsync(request);

        Assert.Equal(2, events.Before.Count);
        Assert.All(events.Before, sent => Assert.Same(request, sent));
        Assert.Empty(events.Failed);
    }

    [Fact]
    public async Task The_permission_marking_sees_the_lean_paths_errors()
    {
        // The session hooks S3Permissions.Mark to ExceptionEvent: a denied CopyObject is blamed on s3:PutObject.
        var http = Server(() => Answer(HttpStatusCode.Forbidden, RequestIds, ErrorDocument("AccessDenied", "Access Denied")));
        using var lean = Lean(AwsStyle, http);
        lean.ExceptionEvent += S3Replication.Core.S3Permissions.Mark;

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => lean.CopyObjectAsync(Copy()));
        Assert.NotNull(S3Replication.Core.S3Permissions.Of(error));
    }

    // ---------------------------------------------------------------- clock skew

    [Theory]
    [InlineData("aws", false, HttpStatusCode.OK)]
    [InlineData("path", false, HttpStatusCode.OK)]
    [InlineData("aws", true, HttpStatusCode.OK)]
    [InlineData("path", true, HttpStatusCode.OK)]
    [InlineData("aws", true, HttpStatusCode.Forbidden)]
    [InlineData("path", true, HttpStatusCode.Forbidden)]
    public async Task A_servers_clock_is_learned_from_its_answers(string style, bool lean, HttpStatusCode firstAnswer)
    {
        // The SDK keeps each endpoint's clock skew process-wide: this test's endpoint is its own.
        var unique = "skew-" + Guid.NewGuid().ToString("N");
        var settings = style == "aws" ? AwsStyle : PathStyle with { EndpointUrl = $"http://{unique}.test" };
        var bucket = style == "aws" ? unique : Bucket;
        // S3 takes requests dated up to 15 minutes off its clock (RequestTimeTooSkewed beyond, a bare 403 to a HEAD).
        var serverTime = DateTimeOffset.UtcNow.AddHours(-26);
        var dated = new[] { ("Date", serverTime.ToString("r", CultureInfo.InvariantCulture)) };
        Func<HttpResponseMessage> found = () => Answer(HttpStatusCode.OK, RequestIds.Concat(dated).Concat(ObjectHeaders));
        var http = Server(() => Answer(firstAnswer, RequestIds.Concat(dated).Concat(firstAnswer == HttpStatusCode.OK ? ObjectHeaders : Array.Empty<(string, string)>())),
            found, found);
        using var client = lean ? Lean(settings, http) : Reference(settings, http);

        var first = await Run(() => client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "imap/l1 a+b.cdf" }));
        var second = await Run(() => client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "imap/l1 a+b.cdf" }));

        // Refused for its clock, the lean path's request is sent again at once, dated by the clock the refusal gave.
        var resent = firstAnswer == HttpStatusCode.Forbidden;
        Assert.Null(first.Error);
        Assert.Null(second.Error);
        Assert.Equal(resent ? 3 : 2, http.Requests.Count);
        Assert.InRange(SignedAt(http.Requests[0]), DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));
        foreach (var later in http.Requests.Skip(1))
        {
            Assert.InRange(SignedAt(later), serverTime.AddMinutes(-1), serverTime.AddMinutes(2));
            AssertSignedV4(later, "eu-west-2");
        }
    }

    [Fact]
    public async Task A_refusal_with_the_clocks_agreeing_is_not_sent_again()
    {
        var http = Server(() => Answer(HttpStatusCode.Forbidden, RequestIds.Concat(new[] { ("Date", DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture)) })));
        using var client = Lean(PathStyle, http);

        var refused = await Run(() => client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = "imap/denied.cdf" }));

        Assert.Equal(HttpStatusCode.Forbidden, Assert.IsType<AmazonS3Exception>(refused.Error).StatusCode);
        Assert.Single(http.Requests);
    }

    private static DateTimeOffset SignedAt(RecordedRequest sent) =>
        DateTimeOffset.ParseExact(sent.Header("x-amz-date"), "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    // ---------------------------------------------------------------- the response adapter

    private static readonly Dictionary<string, Func<HttpResponseMessage>> AllAnswers =
        HeadAnswers.Select(answer => ("HEAD " + answer.Key, (Func<HttpResponseMessage>)(() => Answer(answer.Value.Status, answer.Value.Headers))))
            .Concat(HeadErrors.Select(answer => ("HEAD " + answer.Key, (Func<HttpResponseMessage>)(() => Answer(answer.Value.Status, answer.Value.Headers)))))
            .Concat(CopyAnswers.Concat(CopyErrors).Select(answer => ("PUT " + answer.Key,
                (Func<HttpResponseMessage>)(() => Answer(answer.Value.Status, answer.Value.Headers, answer.Value.Body, answer.Value.Chunked)))))
            .ToDictionary(answer => answer.Item1, answer => answer.Item2);

    public static IEnumerable<object[]> AdapterCases => AllAnswers.Keys.Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(AdapterCases))]
    public async Task The_response_adapter_reads_an_answer_as_the_SDKs_does(string answer)
    {
        // AWSSDK.Core's own adapter, as its HTTP handler makes it of an answer whose body is still to be read.
        using var sdkMessage = AllAnswers[answer]();
        var sdk = (IWebResponseData)Activator.CreateInstance(typeof(HttpClientResponseData),
            BindingFlags.Instance | BindingFlags.NonPublic, null, new object[] { sdkMessage }, CultureInfo.InvariantCulture)!;
        using var leanMessage = AllAnswers[answer]();
        var lean = await S3ResponseData.ReadAsync(leanMessage, readBody: answer.StartsWith("PUT", StringComparison.Ordinal));

        Assert.Equal(sdk.StatusCode, lean.StatusCode);
        Assert.Equal(sdk.IsSuccessStatusCode, lean.IsSuccessStatusCode);
        Assert.Equal(sdk.ContentType, lean.ContentType);
        Assert.Equal(sdk.ContentLength, lean.ContentLength);
        Assert.Equal(sdk.GetHeaderNames(), lean.GetHeaderNames());
        foreach (var name in sdk.GetHeaderNames().Concat(new[] { "X-AMZ-REQUEST-ID", "content-length", "etag", "x-amz-absent" }))
        {
            Assert.Equal(sdk.IsHeaderPresent(name), lean.IsHeaderPresent(name));
            Assert.Equal(sdk.GetHeaderValue(name), lean.GetHeaderValue(name));
        }
        using var sdkBody = new StreamReader(sdk.ResponseBody.OpenResponse());
        using var leanBody = new StreamReader(lean.ResponseBody.OpenResponse());
        Assert.Equal(await sdkBody.ReadToEndAsync(), await leanBody.ReadToEndAsync());
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Equal line for line; a failure names the lines only the reference has and those only the lean path has.</summary>
    private static void AssertSameLines(string reference, string lean)
    {
        if (reference != lean)
        {
            var expected = reference.Split('\n');
            var actual = lean.Split('\n');
            Assert.Fail("The lean path differs from the SDK.\nOnly the SDK's:\n  " + string.Join("\n  ", expected.Except(actual)) +
                "\nOnly the lean path's:\n  " + string.Join("\n  ", actual.Except(expected)));
        }
    }

    /// <summary>The Host header as sent: HttpClient writes the URL's authority where the request names none.</summary>
    private static string HostOf(RecordedRequest sent) => sent.Headers.TryGetValue("host", out var host) ? host : sent.Uri.Authority;

    private static Exception Unwrapped(Exception error) => error is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : error;

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>The Authorization header's credential scope.</summary>
    private static (string AccessKey, string Date, string Region, string Service) ScopeOf(RecordedRequest sent)
    {
        var authorization = sent.Header("authorization");
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=", authorization, StringComparison.Ordinal);
        var credential = authorization["AWS4-HMAC-SHA256 Credential=".Length..].Split(',')[0].Split('/');
        Assert.Equal(5, credential.Length);
        Assert.Equal("aws4_request", credential[4]);
        return (credential[0], credential[1], credential[2], credential[3]);
    }

    /// <summary>
    /// What S3 reads of a request: method, URL as sent, every header but those that legitimately vary between two
    /// sends (who sent it, when, the SDK's invocation ids); of Authorization its credential scope (date aside) and
    /// signed headers, the signature being checked by <see cref="AssertSignedV4"/>.
    /// </summary>
    private static string Sent(RecordedRequest sent)
    {
        var varying = new HashSet<string>(StringComparer.Ordinal) { "authorization", "x-amz-date", "user-agent", "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request" };
        var lines = new List<string> { $"{sent.Method} {sent.Uri.AbsoluteUri}" };
        lines.Add("host: " + HostOf(sent));
        // HttpClient writes Content-Length: 0 for a PUT without content, as the SDK sets it.
        lines.Add("content-length: " + (sent.Headers.TryGetValue("content-length", out var length) ? length
            : sent.Method == HttpMethod.Put || sent.Method == HttpMethod.Post ? "0" : "(none)"));
        lines.AddRange(sent.Headers.Where(header => !varying.Contains(header.Key) && header.Key is not ("host" or "content-length")).OrderBy(header => header.Key, StringComparer.Ordinal)
            .Select(header => $"{header.Key}: {header.Value}"));
        var (accessKey, _, region, service) = ScopeOf(sent);
        lines.Add($"credential: {accessKey}/(date)/{region}/{service}/aws4_request");
        lines.Add("signed headers: " + SignedHeadersOf(sent));
        lines.Add("body: " + sent.Body);
        return string.Join("\n", lines);
    }

    private static string SignedHeadersOf(RecordedRequest sent)
    {
        var authorization = sent.Header("authorization");
        var at = authorization.IndexOf("SignedHeaders=", StringComparison.Ordinal);
        Assert.True(at > 0, authorization);
        return authorization[(at + "SignedHeaders=".Length)..].Split(',')[0];
    }

    /// <summary>
    /// The lean path's request is the SDK's (<see cref="Sent"/>), both validly signed, and it addresses the key asked for.
    /// Except where the SDK is wrong: addressing path-style, AWSSDK.S3 4.1.0 drops the leading slash of a key that starts
    /// with one from the URL it sends (its ComposeUrl joins the endpoint's bucket path and the resource path on one slash)
    /// while it signs the path with the slash. S3 would answer that SignatureDoesNotMatch, and a request that got through
    /// would address another key. The lean path sends such a key as it is, signed as sent.
    /// </summary>
    private static void AssertSameRequest(string style, string key, RecordedRequest reference, RecordedRequest lean)
    {
        var bucketPath = style == "path" ? $"/{Bucket}/" : "/";
        Assert.Equal(bucketPath + key, Uri.UnescapeDataString(lean.Uri.AbsolutePath));
        AssertSignedV4(lean, "eu-west-2");
        if (style == "path" && key.StartsWith('/'))
        {
            Assert.Equal(bucketPath + key[1..], Uri.UnescapeDataString(reference.Uri.AbsolutePath));
            Assert.NotEqual(ExpectedSignature(reference, "eu-west-2", reference.Uri.AbsolutePath), SignatureOf(reference));
            Assert.Equal(ExpectedSignature(reference, "eu-west-2", lean.Uri.AbsolutePath), SignatureOf(reference));
            AssertSameLines(Sent(reference).Replace(reference.Uri.AbsoluteUri, lean.Uri.AbsoluteUri, StringComparison.Ordinal), Sent(lean));
            return;
        }
        Assert.Equal(bucketPath + key, Uri.UnescapeDataString(reference.Uri.AbsolutePath));
        AssertSignedV4(reference, "eu-west-2");
        AssertSameLines(Sent(reference), Sent(lean));
    }

    private static string SignatureOf(RecordedRequest sent)
    {
        var authorization = sent.Header("authorization");
        var at = authorization.IndexOf(", Signature=", StringComparison.Ordinal);
        Assert.True(at > 0, authorization);
        return authorization[(at + ", Signature=".Length)..];
    }

    /// <summary>
    /// Checks the request's SigV4 signature from what was sent: the credential scope, the session token, the payload
    /// hash (the empty body's), every x-amz-* header among the signed ones, and the signature itself.
    /// </summary>
    private static void AssertSignedV4(RecordedRequest sent, string region)
    {
        var (accessKey, date, scopeRegion, service) = ScopeOf(sent);
        Assert.Equal(AccessKey, accessKey);
        Assert.Equal(region, scopeRegion);
        Assert.Equal("s3", service);
        Assert.Equal(date, sent.Header("x-amz-date")[..8]);
        Assert.Equal(SessionToken, sent.Header("x-amz-security-token"));
        Assert.Equal(EmptyPayloadHash, sent.Header("x-amz-content-sha256"));
        Assert.Equal("", sent.Body);
        var signed = SignedHeadersOf(sent).Split(';');
        Assert.Equal(signed.OrderBy(name => name, StringComparer.Ordinal), signed);
        Assert.Contains("host", signed);
        Assert.All(sent.Headers.Keys.Where(name => name.StartsWith("x-amz-", StringComparison.Ordinal)), name => Assert.Contains(name, signed));
        Assert.Equal(ExpectedSignature(sent, region, sent.Uri.AbsolutePath), SignatureOf(sent));
    }

    /// <summary>
    /// SigV4 for S3 computed from what was sent, over <paramref name="path"/> (as sent, percent-encoded): each path
    /// segment URI-encoded once, the query's names and values encoded and sorted, the signed headers' values trimmed,
    /// the payload hash as sent.
    /// </summary>
    private static string ExpectedSignature(RecordedRequest sent, string region, string path)
    {
        var date = sent.Header("x-amz-date");
        var canonicalPath = string.Join("/", path.Split('/').Select(segment => Encode(Uri.UnescapeDataString(segment))));
        var query = string.Join("&", sent.Uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(parts => (Name: Encode(Uri.UnescapeDataString(parts[0])), Value: Encode(parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "")))
            .OrderBy(pair => pair.Name, StringComparer.Ordinal).ThenBy(pair => pair.Value, StringComparer.Ordinal)
            .Select(pair => pair.Name + "=" + pair.Value));
        var signed = SignedHeadersOf(sent).Split(';');
        var headers = signed.Select(name => name + ":" + string.Join(" ",
            (name == "host" ? HostOf(sent) : sent.Header(name)).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)) + "\n");
        var canonical = $"{sent.Method.Method}\n{canonicalPath}\n{query}\n{string.Concat(headers)}\n{string.Join(";", signed)}\n{sent.Header("x-amz-content-sha256")}";
        var scope = $"{date[..8]}/{region}/s3/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{date}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = new[] { date[..8], region, "s3", "aws4_request" }.Aggregate(Encoding.UTF8.GetBytes("AWS4" + SecretKey),
            (signingKey, part) => HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(part)));
        return Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>SigV4's URI encoding: every byte of the UTF-8 but A-Z, a-z, 0-9, '-', '.', '_' and '~' as %XX.</summary>
    private static string Encode(string text)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return encoded.ToString();
    }

    /// <summary>
    /// Every public readable property of a response or exception, recursively, one "path = value" line each: collections
    /// by their keys (metadata, headers), SDK enums by value, dates with their kind. Exceptions by their type, message and
    /// S3's fields; where they were thrown from is not compared.
    /// </summary>
    private static string Describe(object? value)
    {
        var lines = new List<string>();
        Describe("", value, lines, 0);
        return string.Join("\n", lines);
    }

    /// <summary>
    /// <see cref="Describe"/> of a response, whose metadata names the User-Agent its request went with (the SDK's pipeline
    /// notes it): checked to be the one sent, which legitimately differs between the two clients.
    /// </summary>
    private static string DescribeResponse(object? response, FakeS3 http)
    {
        var metadata = Assert.IsAssignableFrom<AmazonWebServiceResponse>(response).ResponseMetadata.Metadata;
        // HttpClient sends a User-Agent's products apart by spaces; the recorder joins .NET's list of them by commas.
        Assert.Equal(http.Requests.Last().Header("user-agent").Replace(',', ' '), metadata["User-Agent"].Replace(',', ' '));
        return Describe(response).Replace($".ResponseMetadata.Metadata[User-Agent] = \"{metadata["User-Agent"]}\"",
            ".ResponseMetadata.Metadata[User-Agent] = (the User-Agent sent)", StringComparison.Ordinal);
    }

    private static readonly HashSet<string> NotCompared = new(StringComparer.Ordinal)
    {
        // Where an exception was thrown from, not what it says.
        "StackTrace", "TargetSite", "Source", "HResult", "Data",
    };

    private static void Describe(string path, object? value, List<string> lines, int depth)
    {
        switch (value)
        {
            case null:
                lines.Add($"{path} = null");
                return;
            case string text:
                lines.Add($"{path} = \"{text}\"");
                return;
            case DateTime date:
                lines.Add($"{path} = {date.ToString("O", CultureInfo.InvariantCulture)} ({date.Kind})");
                return;
            case Amazon.Runtime.ConstantClass constant:
                lines.Add($"{path} = {constant.GetType().Name}.{constant.Value}");
                return;
            case Enum or bool or char or int or long or short or byte or uint or ulong or ushort or double or float or decimal or TimeSpan or DateTimeOffset or Guid:
                lines.Add($"{path} = {Convert.ToString(value, CultureInfo.InvariantCulture)}");
                return;
            case Type type:
                lines.Add($"{path} = {type.FullName}");
                return;
        }
        var valueType = value.GetType();
        if (depth > 6)
        {
            lines.Add($"{path} = ({valueType.Name})");
            return;
        }
        if (value is Exception error)
        {
            lines.Add($"{path}.(type) = {valueType.FullName}");
            if (error.InnerException is { } inner)
            {
                // The pipeline's wrapper of the HTTP answer: its type and message, not its adapter.
                lines.Add($"{path}.InnerException.(type) = {inner.GetType().FullName}");
                lines.Add($"{path}.InnerException.Message = {inner.Message}");
            }
        }
        if (value is IDictionary dictionary)
        {
            foreach (var entry in dictionary.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal))
            {
                Describe($"{path}[{entry}]", dictionary[entry], lines, depth + 1);
            }
            return;
        }
        // The S3 model's MetadataCollection and HeadersCollection: keys and a string indexer.
        if (valueType.GetProperty("Keys")?.GetValue(value) is IEnumerable<string> keys && valueType.GetProperty("Item", new[] { typeof(string) }) is { } indexer)
        {
            foreach (var entry in keys.OrderBy(k => k, StringComparer.Ordinal))
            {
                Describe($"{path}[{entry}]", indexer.GetValue(value, new object[] { entry }), lines, depth + 1);
            }
        }
        else if (value is IEnumerable items)
        {
            var index = 0;
            foreach (var item in items)
            {
                Describe($"{path}[{index++}]", item, lines, depth + 1);
            }
            lines.Add($"{path}.(count) = {index}");
            return;
        }
        foreach (var property in valueType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(property => property.CanRead && property.GetIndexParameters().Length == 0 && !NotCompared.Contains(property.Name)
                                        && !(value is Exception && property.Name == nameof(Exception.InnerException)))
                     .OrderBy(property => property.Name, StringComparer.Ordinal))
        {
            object? propertyValue;
            try
            {
                propertyValue = property.GetValue(value);
            }
            catch (TargetInvocationException thrown)
            {
                lines.Add($"{path}.{property.Name} throws {thrown.InnerException?.GetType().Name}");
                continue;
            }
            Describe($"{path}.{property.Name}", propertyValue, lines, depth + 1);
        }
    }
}
