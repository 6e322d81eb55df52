using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using S3Replication.Tests.Support;

namespace S3Replication.Tests.Wire;

/// <summary>
/// An S3 endpoint that answers every operation the module sends as AWS would, in shape and headers enough for the module
/// to carry on to its next request: objects with metadata, encryption, tags and checksums, paged listings, versions,
/// multipart uploads that echo part checksums, a stored replication configuration. It records what was sent.
/// </summary>
internal sealed class AwsLikeS3
{
    /// <summary>The content of every key with "big" in its name: larger than the tests' multipart threshold.</summary>
    public const string BigContent = "0123456789abcdefghij";

    /// <summary>The content of every other key.</summary>
    public const string SmallContent = "hello world";

    public const string FirstPageToken = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=";
    public const string KmsKey = "arn:aws:kms:eu-west-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    public const string UploadId = "upload-1";
    public const string AbandonedUploadId = "abandoned-1";

    private readonly object _gate = new();
    private string? _uploadChecksumAlgorithm;

    public AwsLikeS3() => Http = new FakeS3(Answer);

    public FakeS3 Http { get; }

    /// <summary>The version id S3 gives each write (null: an unversioned bucket, which gives none).</summary>
    public string? VersionCreated { get; init; } = "created-1";

    /// <summary>The version a HEAD or GET without a version id reads: the current one of a versioned bucket; an unversioned one names none.</summary>
    private string? VersionCurrent => VersionCreated is null ? null : "v-current";

    /// <summary>Whether ListMultipartUploads finds an upload an earlier run left for the key.</summary>
    public bool AbandonedUpload { get; init; }

    /// <summary>A bucket whose objects have no tags: a destination that drops the tags given to CreateMultipartUpload, as Ceph RGW does.</summary>
    public string? DropsUploadTagsIn { get; init; }

    /// <summary>The stored replication configuration (null: none, answered 404 as AWS does).</summary>
    public string? Replication { get; set; }

    public static string ETagOf(string content) => "\"" + Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(content))).ToLowerInvariant() + "\"";

    public static string ContentOf(string key) => key.Contains("big", StringComparison.Ordinal) ? BigContent : SmallContent;

    public static string Sha256Of(string content) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    private HttpResponseMessage Answer(RecordedRequest request)
    {
        var sent = WireRequest.Read(request);
        var query = HttpUtility.ParseQueryString(request.Uri.Query);
        var key = sent.Key ?? "";
        lock (_gate)
        {
            return sent.Operation switch
            {
                "ListBuckets" => Xml("<ListAllMyBucketsResult><Buckets><Bucket><Name>sds-data-dev</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"),
                "HeadBucket" => new HttpResponseMessage(HttpStatusCode.OK),
                "GetBucketLocation" => Xml("<LocationConstraint>eu-west-2</LocationConstraint>"),
                "GetBucketOwnershipControls" => Xml("<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>"),
                "GetBucketVersioning" => Xml("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"),
                "PutBucketVersioning" => new HttpResponseMessage(HttpStatusCode.OK),
                "GetBucketReplication" => Replication is null
                    ? Xml("<Error><Code>ReplicationConfigurationNotFoundError</Code><Message>The replication configuration was not found</Message></Error>", HttpStatusCode.NotFound)
                    : Xml(Replication),
                "PutBucketReplication" => Stored(request.Body),
                "DeleteBucketReplication" => Stored(null),
                "ListObjectsV2" => Xml(ObjectPage(query["continuation-token"])),
                "ListObjectVersions" => Xml(VersionPage(query["prefix"] ?? "", query["key-marker"])),
                "HeadObject" => Object(request, key, query["versionId"], body: false),
                "GetObject" => Object(request, key, query["versionId"], body: true),
                "GetObjectTagging" => Xml(sent.Bucket == DropsUploadTagsIn ? "<Tagging><TagSet></TagSet></Tagging>"
                    : "<Tagging><TagSet><Tag><Key>team</Key><Value>mag</Value></Tag></TagSet></Tagging>"),
                "PutObjectTagging" => new HttpResponseMessage(HttpStatusCode.OK),
                "PutObject" => Written(ETagOf(sent.Body)),
                "CopyObject" => Written(ETagOf(ContentOf(key)), $"<CopyObjectResult><ETag>{SecurityElement.Escape(ETagOf(ContentOf(key)))}</ETag>" +
                    "<LastModified>2026-12-01T10:00:00.000Z</LastModified></CopyObjectResult>"),
                "DeleteObject" => Deleted(query["versionId"]),
                "RestoreObject" => new HttpResponseMessage(HttpStatusCode.Accepted),
                "ListMultipartUploads" => Xml($"<ListMultipartUploadsResult><Bucket>{sent.Bucket}</Bucket>" + (AbandonedUpload
                    ? $"<Upload><Key>{SecurityElement.Escape(query["prefix"])}</Key><UploadId>{AbandonedUploadId}</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload>"
                    : "") + "</ListMultipartUploadsResult>"),
                "AbortMultipartUpload" => new HttpResponseMessage(HttpStatusCode.NoContent),
                "CreateMultipartUpload" => Initiated(sent),
                "UploadPartCopy" => PartCopied(sent),
                "UploadPart" => PartUploaded(sent),
                "CompleteMultipartUpload" => Written(null, $"<CompleteMultipartUploadResult><Bucket>{sent.Bucket}</Bucket><Key>{SecurityElement.Escape(key)}</Key>" +
                    "<ETag>\"3858f62230ac3c915f300c664312c11f-3\"</ETag></CompleteMultipartUploadResult>"),
                _ => Xml($"<Error><Code>NotAnsweredByTheFake</Code><Message>{SecurityElement.Escape(sent.Operation)}</Message></Error>", HttpStatusCode.BadRequest),
            };
        }
    }

    private static HttpResponseMessage Xml(string body, HttpStatusCode status = HttpStatusCode.OK) => FakeS3.Xml(body, status);

    private HttpResponseMessage Stored(string? configuration)
    {
        Replication = configuration;
        return new HttpResponseMessage(configuration is null ? HttpStatusCode.NoContent : HttpStatusCode.OK);
    }

    /// <summary>Two pages: the first ends with a continuation token, as a listing of more than 1,000 keys does.</summary>
    private static string ObjectPage(string? token) => token is null
        ? $"<ListBucketResult><Name>b</Name><Prefix>imap/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>" +
          $"<NextContinuationToken>{FirstPageToken}</NextContinuationToken>{Listed("Contents", "imap/a.cdf", null)}</ListBucketResult>"
        : $"<ListBucketResult><Name>b</Name><Prefix>imap/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>" +
          $"{Listed("Contents", "imap/b.cdf", null)}</ListBucketResult>";

    /// <summary>
    /// A listing of prefix imap/ comes in two pages; one of a single key (an undo's, a probe's) lists the version every
    /// write makes, then an older one; one of the whole bucket lists a single version.
    /// </summary>
    private string VersionPage(string prefix, string? keyMarker)
    {
        var versions = prefix switch
        {
            "imap/" when keyMarker is null => Listed("Version", "imap/a.cdf", "v2", latest: true) +
                "<IsTruncated>true</IsTruncated><NextKeyMarker>imap/a.cdf</NextKeyMarker><NextVersionIdMarker>v2</NextVersionIdMarker>",
            "imap/" => Listed("Version", "imap/a.cdf", "v1", latest: false) + "<IsTruncated>false</IsTruncated>",
            "" => Listed("Version", "imap/a.cdf", "v1", latest: true) + "<IsTruncated>false</IsTruncated>",
            _ => Listed("Version", prefix, VersionCreated ?? "null", latest: true) + Listed("Version", prefix, "v1", latest: false) + "<IsTruncated>false</IsTruncated>",
        };
        return $"<ListVersionsResult><Name>b</Name><Prefix>{SecurityElement.Escape(prefix)}</Prefix><MaxKeys>1000</MaxKeys>{versions}</ListVersionsResult>";
    }

    private static string Listed(string element, string key, string? versionId, bool latest = true) =>
        $"<{element}><Key>{SecurityElement.Escape(key)}</Key>" + (versionId is null ? "" : $"<VersionId>{versionId}</VersionId><IsLatest>{(latest ? "true" : "false")}</IsLatest>") +
        $"<LastModified>2026-12-01T10:00:00.000Z</LastModified><ETag>{SecurityElement.Escape(ETagOf(ContentOf(key)))}</ETag><Size>{ContentOf(key).Length}</Size>" +
        $"<StorageClass>STANDARD</StorageClass><ChecksumAlgorithm>SHA256</ChecksumAlgorithm></{element}>";

    /// <summary>
    /// An object as HEAD or GET answers it: its headers, and for a GET its body or the range asked for. Its checksum where
    /// asked for, but not with a range: S3 has none for part of an object.
    /// </summary>
    private HttpResponseMessage Object(RecordedRequest request, string key, string? versionId, bool body)
    {
        var content = ContentOf(key);
        var (status, sent) = (HttpStatusCode.OK, content);
        if (body && request.Header("range") is { Length: > 0 } range)
        {
            var bounds = range["bytes=".Length..].Split('-').Select(int.Parse).ToArray();
            (status, sent) = (HttpStatusCode.PartialContent, content[bounds[0]..(bounds[1] + 1)]);
        }
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(body ? Encoding.UTF8.GetBytes(sent) : Array.Empty<byte>()) };
        response.Content.Headers.ContentLength = body ? sent.Length : content.Length;
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-cdf");
        response.Content.Headers.TryAddWithoutValidation("Content-Disposition", "attachment; filename=\"a.cdf\"");
        response.Content.Headers.TryAddWithoutValidation("Content-Language", "en");
        response.Content.Headers.TryAddWithoutValidation("Expires", "Thu, 01 Dec 2044 16:00:00 GMT");
        response.Content.Headers.TryAddWithoutValidation("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT");
        if (status == HttpStatusCode.PartialContent)
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Range", $"{request.Header("range").Replace('=', ' ')}/{content.Length}");
        }
        response.Headers.TryAddWithoutValidation("ETag", ETagOf(content));
        response.Headers.TryAddWithoutValidation("Cache-Control", "max-age=60");
        response.Headers.TryAddWithoutValidation("x-amz-meta-instrument", "mag");
        response.Headers.TryAddWithoutValidation("x-amz-storage-class", "STANDARD");
        response.Headers.TryAddWithoutValidation("x-amz-server-side-encryption", "aws:kms");
        response.Headers.TryAddWithoutValidation("x-amz-server-side-encryption-aws-kms-key-id", KmsKey);
        response.Headers.TryAddWithoutValidation("x-amz-tagging-count", "1");
        if ((versionId ?? VersionCurrent) is { } version)
        {
            response.Headers.TryAddWithoutValidation("x-amz-version-id", version);
        }
        if (request.Header("x-amz-checksum-mode") == "ENABLED" && status == HttpStatusCode.OK)
        {
            response.Headers.TryAddWithoutValidation("x-amz-checksum-sha256", Sha256Of(content));
        }
        return response;
    }

    private HttpResponseMessage Written(string? etag, string? body = null)
    {
        var response = body is null ? new HttpResponseMessage(HttpStatusCode.OK) : Xml(body);
        if (etag is not null)
        {
            response.Headers.TryAddWithoutValidation("ETag", etag);
        }
        if (VersionCreated is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amz-version-id", VersionCreated);
        }
        return response;
    }

    private HttpResponseMessage Deleted(string? versionId)
    {
        var response = new HttpResponseMessage(HttpStatusCode.NoContent);
        if (versionId is not null || VersionCreated is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amz-version-id", versionId ?? "marker-1");
        }
        return response;
    }

    private HttpResponseMessage Initiated(WireRequest sent)
    {
        _uploadChecksumAlgorithm = sent.Headers.TryGetValue("x-amz-checksum-algorithm", out var algorithm) ? algorithm : null;
        var response = Xml($"<InitiateMultipartUploadResult><Bucket>{sent.Bucket}</Bucket><Key>{SecurityElement.Escape(sent.Key)}</Key><UploadId>{UploadId}</UploadId></InitiateMultipartUploadResult>");
        if (_uploadChecksumAlgorithm is not null)
        {
            response.Headers.TryAddWithoutValidation("x-amz-checksum-algorithm", _uploadChecksumAlgorithm);
        }
        return response;
    }

    /// <summary>S3 computes a copied part's checksum itself, by the upload's algorithm, and says it in the result.</summary>
    private HttpResponseMessage PartCopied(WireRequest sent)
    {
        var range = sent.Headers["x-amz-copy-source-range"]["bytes=".Length..].Split('-').Select(int.Parse).ToArray();
        var part = BigContent[range[0]..(range[1] + 1)];
        var checksum = _uploadChecksumAlgorithm == "SHA256" ? $"<ChecksumSHA256>{Sha256Of(part)}</ChecksumSHA256>" : "";
        return Xml($"<CopyPartResult><ETag>{SecurityElement.Escape(ETagOf(part))}</ETag><LastModified>2026-12-01T10:00:00.000Z</LastModified>{checksum}</CopyPartResult>");
    }

    /// <summary>S3 answers an uploaded part with its ETag and the checksum the client sent for it (in a header or a trailer).</summary>
    private static HttpResponseMessage PartUploaded(WireRequest sent)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("ETag", ETagOf(sent.Body));
        foreach (var (name, value) in sent.Headers.Where(header => header.Key.StartsWith("x-amz-checksum-", StringComparison.Ordinal) && header.Key != "x-amz-checksum-algorithm"))
        {
            response.Headers.TryAddWithoutValidation(name.Replace(WireRequest.TrailerSuffix, "", StringComparison.Ordinal), value);
        }
        return response;
    }
}
