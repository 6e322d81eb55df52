using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>Tuning of the copy engine; see Sync-S3BackupToSource's help for why the defaults are what they are.</summary>
internal sealed record CopyOptions(
    long MultipartThreshold,
    long PartSize,
    int PartConcurrency,
    bool PreserveEncryption,
    bool RestoreArchived,
    int RestoreDays,
    string RestoreTier)
{
    /// <summary>S3's largest single CopyObject and single PUT.</summary>
    public const long FiveGiB = 5L * 1024 * 1024 * 1024;
    public const int MaxParts = 10_000;

    public static readonly CopyOptions Default = new(FiveGiB, 512L * 1024 * 1024, 8, false, false, 7, "Standard");

    /// <summary>The part size for an object: the configured one, or larger when S3's 10,000-part limit needs it.</summary>
    public long PartSizeFor(long size) => Math.Max(PartSize, (size + MaxParts - 1) / MaxParts);
}

/// <summary>What happened to one object.</summary>
internal sealed record CopyOutcome(string Action, string? Reason, long Bytes);

/// <summary>
/// Copies one backup object to the source bucket: server-side CopyObject up to the multipart threshold, parallel
/// UploadPartCopy above it, or GET → PUT streamed through this process when the two sides need different
/// credentials. Content type, user metadata, cache/encoding headers and tags are kept on every path; a multipart
/// upload that fails or is cancelled is aborted, so no partial object ever appears under the key.
/// </summary>
internal sealed class CopyEngine
{
    private static readonly HashSet<string> ArchiveClasses = new(StringComparer.Ordinal) { "GLACIER", "DEEP_ARCHIVE" };
    private readonly IAmazonS3 _backup;
    private readonly IAmazonS3 _source;
    private readonly bool _serverSide;
    private readonly CopyOptions _options;
    private readonly DateTime _started = DateTime.UtcNow;

    public CopyEngine(IAmazonS3 backup, IAmazonS3 source, bool serverSide, CopyOptions options)
    {
        _backup = backup;
        _source = source;
        _serverSide = serverSide;
        _options = options;
    }

    public async Task<CopyOutcome> CopyAsync(S3ObjectRecord item, string destinationBucket, CancellationToken cancellationToken)
    {
        if (item.StorageClass is { } storageClass && ArchiveClasses.Contains(storageClass))
        {
            var archived = await ArchivedStateAsync(item, cancellationToken).ConfigureAwait(false);
            if (archived is not null)
            {
                return archived;
            }
        }
        try
        {
            return _serverSide ? await ServerSideAsync(item, destinationBucket, cancellationToken).ConfigureAwait(false)
                : await StreamAsync(item, destinationBucket, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "InvalidObjectState")
        {
            // An archived object the listing did not mark (records from elsewhere carry no storage class).
            return new CopyOutcome("NeedsRestore", "Archived", 0);
        }
    }

    /// <summary>Null when the archived object has a restored copy to read; otherwise NeedsRestore, starting a restore if asked.</summary>
    private async Task<CopyOutcome?> ArchivedStateAsync(S3ObjectRecord item, CancellationToken cancellationToken)
    {
        var head = await _backup.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId },
            cancellationToken).ConfigureAwait(false);
        if (head.RestoreInProgress == true)
        {
            return new CopyOutcome("NeedsRestore", "RestoreInProgress", 0);
        }
        if (head.RestoreExpiration is not null)
        {
            return null;
        }
        if (!_options.RestoreArchived)
        {
            return new CopyOutcome("NeedsRestore", "Archived", 0);
        }
        try
        {
            await _backup.RestoreObjectAsync(new RestoreObjectRequest
            {
                BucketName = item.Bucket,
                Key = item.Key,
                VersionId = item.VersionId,
                Days = _options.RestoreDays,
                Tier = GlacierJobTier.FindValue(_options.RestoreTier),
            }, cancellationToken).ConfigureAwait(false);
            return new CopyOutcome("NeedsRestore", "RestoreStarted", 0);
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "RestoreAlreadyInProgress")
        {
            return new CopyOutcome("NeedsRestore", "RestoreInProgress", 0);
        }
    }

    private async Task<CopyOutcome> ServerSideAsync(S3ObjectRecord item, string destinationBucket, CancellationToken cancellationToken)
    {
        if (item.Size > _options.MultipartThreshold)
        {
            return await MultipartCopyAsync(item, destinationBucket, cancellationToken).ConfigureAwait(false);
        }
        var request = new CopyObjectRequest
        {
            SourceBucket = item.Bucket,
            SourceKey = item.Key,
            SourceVersionId = item.VersionId,
            DestinationBucket = destinationBucket,
            DestinationKey = item.Key,
        };
        if (_options.PreserveEncryption)
        {
            var head = await HeadAsync(item, cancellationToken).ConfigureAwait(false);
            request.ServerSideEncryptionMethod = head.ServerSideEncryptionMethod;
            request.ServerSideEncryptionKeyManagementServiceKeyId = head.ServerSideEncryptionKeyManagementServiceKeyId;
        }
        await _source.CopyObjectAsync(request, cancellationToken).ConfigureAwait(false);
        return new CopyOutcome("Copied", null, item.Size);
    }

    private Task<GetObjectMetadataResponse> HeadAsync(S3ObjectRecord item, CancellationToken cancellationToken) =>
        _backup.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId }, cancellationToken);

    private async Task<CopyOutcome> MultipartCopyAsync(S3ObjectRecord item, string destinationBucket, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(item, cancellationToken).ConfigureAwait(false);
        var tags = await TagsAsync(item, cancellationToken).ConfigureAwait(false);
        await MultipartParts.AbortAbandonedAsync(_source, destinationBucket, item.Key, _started, cancellationToken).ConfigureAwait(false);
        var upload = await _source.InitiateMultipartUploadAsync(InitiateFrom(destinationBucket, item.Key, head.Headers, head.Metadata, tags,
            head.ServerSideEncryptionMethod, head.ServerSideEncryptionKeyManagementServiceKeyId), cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = await MultipartParts.SendAsync(item.Size, _options.PartSizeFor(item.Size), _options.PartConcurrency, async (partNumber, start, length) =>
                (await _source.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = item.Bucket,
                    SourceKey = item.Key,
                    SourceVersionId = item.VersionId,
                    DestinationBucket = destinationBucket,
                    DestinationKey = item.Key,
                    UploadId = upload.UploadId,
                    PartNumber = partNumber,
                    FirstByte = start,
                    LastByte = start + length - 1,
                }, cancellationToken).ConfigureAwait(false)).ETag, cancellationToken).ConfigureAwait(false);
            await CompleteAsync(destinationBucket, item.Key, upload.UploadId, parts, tags, cancellationToken).ConfigureAwait(false);
            return new CopyOutcome("Copied", null, item.Size);
        }
        catch
        {
            await MultipartParts.AbortAsync(_source, destinationBucket, item.Key, upload.UploadId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>GET from the backup with its credentials, PUT to the source with the other; memory stays at one part per object.</summary>
    private async Task<CopyOutcome> StreamAsync(S3ObjectRecord item, string destinationBucket, CancellationToken cancellationToken)
    {
        using var response = await _backup.GetObjectAsync(new GetObjectRequest { BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId },
            cancellationToken).ConfigureAwait(false);
        var tags = (response.TagCount ?? 0) > 0 ? await TagsAsync(item, cancellationToken).ConfigureAwait(false) : new List<Tag>();
        var size = response.ContentLength;
        if (size > _options.MultipartThreshold || size > CopyOptions.FiveGiB)
        {
            return await StreamMultipartAsync(item, destinationBucket, response, tags, size, cancellationToken).ConfigureAwait(false);
        }

        var put = new PutObjectRequest
        {
            BucketName = destinationBucket,
            Key = item.Key,
            InputStream = response.ResponseStream,
            AutoCloseStream = false,
            ContentType = response.Headers.ContentType,
            ServerSideEncryptionMethod = response.ServerSideEncryptionMethod,
            ServerSideEncryptionKeyManagementServiceKeyId = response.ServerSideEncryptionKeyManagementServiceKeyId,
            TagSet = tags.Count > 0 ? tags : null,
        };
        CopyHeaders(response.Headers, put.Headers);
        put.Headers.ContentLength = size;
        CopyMetadata(response.Metadata, put.Metadata);
        await _source.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
        return new CopyOutcome("Copied", null, size);
    }

    private async Task<CopyOutcome> StreamMultipartAsync(S3ObjectRecord item, string destinationBucket, GetObjectResponse response, List<Tag> tags,
        long size, CancellationToken cancellationToken)
    {
        await MultipartParts.AbortAbandonedAsync(_source, destinationBucket, item.Key, _started, cancellationToken).ConfigureAwait(false);
        var upload = await _source.InitiateMultipartUploadAsync(InitiateFrom(destinationBucket, item.Key, response.Headers, response.Metadata, tags,
            response.ServerSideEncryptionMethod, response.ServerSideEncryptionKeyManagementServiceKeyId), cancellationToken).ConfigureAwait(false);
        try
        {
            var partSize = (int)Math.Min(_options.PartSizeFor(size), int.MaxValue);
            var buffer = new byte[partSize];
            var parts = new List<PartETag>();
            for (var number = 1; ; number++)
            {
                var filled = await FillAsync(response.ResponseStream, buffer, cancellationToken).ConfigureAwait(false);
                if (filled == 0)
                {
                    break;
                }
                using var part = new MemoryStream(buffer, 0, filled, writable: false);
                var uploaded = await _source.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = destinationBucket,
                    Key = item.Key,
                    UploadId = upload.UploadId,
                    PartNumber = number,
                    InputStream = part,
                    PartSize = filled,
                }, cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(number, uploaded.ETag));
            }
            await CompleteAsync(destinationBucket, item.Key, upload.UploadId, parts, tags, cancellationToken).ConfigureAwait(false);
            return new CopyOutcome("Copied", null, size);
        }
        catch
        {
            await MultipartParts.AbortAsync(_source, destinationBucket, item.Key, upload.UploadId).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<int> FillAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer, filled, buffer.Length - filled, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            filled += read;
        }
        return filled;
    }

    private async Task<List<Tag>> TagsAsync(S3ObjectRecord item, CancellationToken cancellationToken) =>
        (await _backup.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId },
            cancellationToken).ConfigureAwait(false)).Tagging ?? new List<Tag>();

    private static InitiateMultipartUploadRequest InitiateFrom(string bucket, string key, HeadersCollection headers, MetadataCollection metadata,
        List<Tag> tags, ServerSideEncryptionMethod? encryption, string? kmsKey)
    {
        var request = new InitiateMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            ContentType = headers.ContentType,
            TagSet = tags.Count > 0 ? tags : null,
            ServerSideEncryptionMethod = encryption == ServerSideEncryptionMethod.None ? null : encryption,
            ServerSideEncryptionKeyManagementServiceKeyId = kmsKey,
        };
        CopyHeaders(headers, request.Headers);
        CopyMetadata(metadata, request.Metadata);
        return request;
    }

    private static void CopyHeaders(HeadersCollection from, HeadersCollection to)
    {
        to.CacheControl = from.CacheControl;
        to.ContentDisposition = from.ContentDisposition;
        to.ContentEncoding = from.ContentEncoding;
        foreach (var name in new[] { "Content-Language", "Expires" })
        {
            if (from[name] is { Length: > 0 } value)
            {
                to[name] = value;
            }
        }
    }

    private static void CopyMetadata(MetadataCollection from, MetadataCollection to)
    {
        foreach (var key in from.Keys)
        {
            to.Add(key, from[key]);
        }
    }

    /// <summary>
    /// Completes the upload, then sets the tags again: the upload was created with them, but some S3-compatible
    /// servers (Ceph RGW) ignore tags on CreateMultipartUpload.
    /// </summary>
    private async Task CompleteAsync(string bucket, string key, string uploadId, List<PartETag> parts, List<Tag> tags, CancellationToken cancellationToken)
    {
        await _source.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = uploadId,
            PartETags = parts,
        }, cancellationToken).ConfigureAwait(false);
        if (tags.Count > 0)
        {
            await _source.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = key, Tagging = new Tagging { TagSet = tags } },
                cancellationToken).ConfigureAwait(false);
        }
    }
}
