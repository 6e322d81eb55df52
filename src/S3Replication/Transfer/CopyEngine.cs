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
using S3Replication.Core;
using S3Replication.Records;
using RetryPolicy = S3Replication.Core.RetryPolicy;

namespace S3Replication.Transfer;

/// <summary>Which encryption a restored object gets in the source bucket; one rule for every copy path.</summary>
internal enum EncryptionMode
{
    /// <summary>The source bucket's default encryption: nothing is sent, so no key of the backup's account is ever asked for.</summary>
    SourceDefault,

    /// <summary>SSE-KMS with the key given (-KmsKeyId), a key of the source side.</summary>
    KmsKey,

    /// <summary>The backup object's method and KMS key id (-PreserveEncryption): for setups where one account owns both.</summary>
    Preserve,
}

/// <summary>Tuning of the copy engine; see Sync-S3BackupToSource's help for why the defaults are what they are.</summary>
internal sealed record CopyOptions
{
    /// <summary>S3's largest single CopyObject and single PUT.</summary>
    public const long FiveGiB = 5L * 1024 * 1024 * 1024;
    public const int MaxParts = 10_000;

    public static readonly CopyOptions Default = new();

    /// <summary>Above this size an object is copied in parts (UploadPartCopy server-side, ranged GET → UploadPart streamed).</summary>
    public long MultipartThreshold { get; init; } = FiveGiB;

    /// <summary>The part size of server-side multipart copies, which move no bytes through this process.</summary>
    public long PartSize { get; init; } = 512L * 1024 * 1024;

    /// <summary>The part size of streamed multipart copies: each part is held in memory once, between its GET and its PUT.</summary>
    public long StreamPartSize { get; init; } = 16L * 1024 * 1024;

    /// <summary>The most bytes the whole run holds in streamed parts, whatever the number and size of objects.</summary>
    public long BufferLimit { get; init; } = 1024L * 1024 * 1024;

    /// <summary>Parts of one object in flight at once.</summary>
    public int PartConcurrency { get; init; } = 8;

    public EncryptionMode Encryption { get; init; } = EncryptionMode.SourceDefault;

    /// <summary>-Acl: what the run decides the writes' ACL by.</summary>
    public AclChoice Acl { get; init; } = AclChoice.Auto;

    /// <summary>The canned ACL every write carries (null: none), as the run decided it for the destination (<see cref="ObjectAcl.Decide"/>).</summary>
    public S3CannedACL? CannedAcl { get; init; }
    public string? KmsKeyId { get; init; }
    public bool RestoreArchived { get; init; }
    public int RestoreDays { get; init; } = 7;
    public string RestoreTier { get; init; } = "Standard";

    /// <summary>The additional checksum algorithm of a copy: the backup object's, so the restored object compares by checksum next time.</summary>
    public static ChecksumAlgorithm? ChecksumOf(S3ObjectRecord item) =>
        item.ChecksumAlgorithm is { Length: > 0 } algorithm ? ChecksumAlgorithm.FindValue(algorithm) : null;

    /// <summary>The part size for an object: the configured one, or larger when S3's 10,000-part limit needs it.</summary>
    public long PartSizeFor(long size) => PartSizeFor(size, PartSize);

    public long StreamPartSizeFor(long size) => PartSizeFor(size, StreamPartSize);

    private static long PartSizeFor(long size, long configured) => Math.Max(configured, (size + MaxParts - 1) / MaxParts);
}

/// <summary>What became of one copy: Copied (the versions read and written, where the buckets are versioned) or NeedsRestore.</summary>
internal sealed record CopyOutcome(SyncAction Action, long Bytes, string? VersionRead = null, string? VersionCreated = null)
{
    public static readonly CopyOutcome Archived = new(SyncAction.NeedsRestore, 0);
}

/// <summary>
/// Copies one backup object to the source bucket: server-side CopyObject up to the multipart threshold, parallel
/// UploadPartCopy above it, or GET → PUT streamed through this process when the two sides need different
/// credentials (ranged GETs and parallel UploadParts above the threshold, within the run's buffer budget). Content
/// type, user metadata, cache/encoding headers and tags are kept on every path, and every path encrypts by the same
/// rule (<see cref="EncryptionMode"/>). Each request is retried on its own under the run's policy (a streamed GET and
/// its PUT together, since the body cannot be sent twice), never the object as a whole on top. A multipart upload that
/// fails or is cancelled is aborted, so no partial object ever appears under the key; a part that fails stops its siblings.
/// Which objects to copy, and whether an archived one can be, is the decision's (<see cref="RestoreDecider"/>): the
/// engine only reports an archived object the record did not say was archived.
/// </summary>
internal sealed class CopyEngine
{
    private readonly IAmazonS3 _backup;
    private readonly IAmazonS3 _source;
    private readonly bool _serverSide;
    private readonly CopyOptions _options;
    private readonly BucketOwners _owners;
    private readonly DateTime _started = DateTime.UtcNow;

    /// <summary>
    /// Whether the source client sends the checksum a streamed write names. Under when_required AWSSDK.S3 4.1 names the
    /// algorithm (x-amz-sdk-checksum-algorithm) yet sends no checksum, which AWS refuses (400 InvalidRequest), so streamed
    /// writes name none there: the restored object gets the checksum the server gives by default, if any.
    /// </summary>
    private readonly bool _sourceSendsChecksums;

    /// <summary>Whether the source server keeps the tags given to CreateMultipartUpload: null until the first such copy tells.</summary>
    private bool? _multipartKeepsTags;

    /// <summary>
    /// Whether copies into the source report no version id although the bucket keeps versions (Ceph RGW's CopyObject
    /// and CompleteMultipartUpload do not say; AWS's do): <see cref="Unknown"/> until the first copy without one tells.
    /// Copies run in parallel, so it is an int read and written whole.
    /// </summary>
    private int _copiesHideVersions = Unknown;
    private const int Unknown = 0, Hidden = 1, NoVersions = 2;

    /// <param name="owners">The accounts every request expects to own the backup and the source (x-amz-expected-bucket-owner).</param>
    public CopyEngine(IAmazonS3 backup, IAmazonS3 source, bool serverSide, CopyOptions options, BucketOwners? owners = null)
    {
        _owners = owners ?? BucketOwners.Unknown;
        _backup = backup;
        _source = source;
        _serverSide = serverSide;
        _options = options;
        _sourceSendsChecksums = source.Config.RequestChecksumCalculation != RequestChecksumCalculation.WHEN_REQUIRED;
        Buffers = new BufferBudget(options.BufferLimit);
    }

    /// <summary>The run's streamed-part buffers (exposed for the memory figures in tests and verbose output).</summary>
    public BufferBudget Buffers { get; }

    public async Task<CopyOutcome> CopyAsync(S3ObjectRecord item, string destinationBucket, RetryPolicy retry, CancellationToken cancellationToken)
    {
        try
        {
            return _serverSide ? await ServerSideAsync(item, destinationBucket, retry, cancellationToken).ConfigureAwait(false)
                : await StreamAsync(item, destinationBucket, retry, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "InvalidObjectState")
        {
            // An archived object the record did not say was archived (a row from a file carries no storage class).
            return CopyOutcome.Archived;
        }
    }

    /// <summary>Starts the restore of an archived backup object from Glacier (-RestoreArchived): RestoreStarted, or RestoreInProgress where one runs already.</summary>
    public async Task<SyncReason> StartArchiveRestoreAsync(S3ObjectRecord item, RetryPolicy retry, CancellationToken cancellationToken)
    {
        try
        {
            await retry.RunAsync(token => _backup.RestoreObjectAsync(new RestoreObjectRequest
            {
                BucketName = item.Bucket,
                Key = item.Key,
                VersionId = item.VersionId,
                Days = _options.RestoreDays,
                Tier = GlacierJobTier.FindValue(_options.RestoreTier),
                ExpectedBucketOwner = _owners.Backup,
            }, token), cancellationToken).ConfigureAwait(false);
            return SyncReason.RestoreStarted;
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "RestoreAlreadyInProgress")
        {
            return SyncReason.RestoreInProgress;
        }
    }

    /// <summary>The checksum algorithm of a streamed write (server-side copies name the backup object's whatever the setting).</summary>
    private ChecksumAlgorithm? StreamedChecksumOf(S3ObjectRecord item) => _sourceSendsChecksums ? CopyOptions.ChecksumOf(item) : null;

    /// <summary>The encryption to ask for, by the one rule: never a KMS key of the backup's side unless -PreserveEncryption.</summary>
    internal (ServerSideEncryptionMethod? Method, string? KmsKeyId) EncryptionFor(ServerSideEncryptionMethod? backupMethod, string? backupKmsKeyId) =>
        _options.Encryption switch
        {
            EncryptionMode.KmsKey => (ServerSideEncryptionMethod.AWSKMS, _options.KmsKeyId),
            EncryptionMode.Preserve when backupMethod is not null && backupMethod != ServerSideEncryptionMethod.None =>
                (backupMethod, backupMethod == ServerSideEncryptionMethod.AWSKMS || backupMethod == ServerSideEncryptionMethod.AWSKMSDSSE ? backupKmsKeyId : null),
            _ => (null, null),
        };

    private async Task<CopyOutcome> ServerSideAsync(S3ObjectRecord item, string destinationBucket, RetryPolicy retry, CancellationToken cancellationToken)
    {
        if (item.Size > _options.MultipartThreshold)
        {
            return await MultipartCopyAsync(item, destinationBucket, retry, cancellationToken).ConfigureAwait(false);
        }
        var request = new CopyObjectRequest
        {
            SourceBucket = item.Bucket,
            SourceKey = item.Key,
            SourceVersionId = item.VersionId,
            DestinationBucket = destinationBucket,
            DestinationKey = item.Key,
            CannedACL = _options.CannedAcl,
            ChecksumAlgorithm = CopyOptions.ChecksumOf(item),
            ExpectedBucketOwner = _owners.Source,
            ExpectedSourceBucketOwner = _owners.Backup,
        };
        var head = _options.Encryption == EncryptionMode.Preserve ? await HeadAsync(item, retry, cancellationToken).ConfigureAwait(false) : null;
        (request.ServerSideEncryptionMethod, request.ServerSideEncryptionKeyManagementServiceKeyId) =
            EncryptionFor(head?.ServerSideEncryptionMethod, head?.ServerSideEncryptionKeyManagementServiceKeyId);
        var copied = await retry.RunAsync(token => _source.CopyObjectAsync(request, token), cancellationToken).ConfigureAwait(false);
        return new CopyOutcome(SyncAction.Copied, item.Size, VersionOr(copied.SourceVersionId, item.VersionId),
            await VersionWrittenAsync(destinationBucket, item.Key, VersionOr(copied.VersionId), copied.ETag, retry, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The version a copy created, which an undo removes. S3 reports it; where a server does not (Ceph RGW, for copies),
    /// the first copy without one reads the key's current version back, and only if the bucket turns out to keep versions
    /// do the later copies of the run read theirs too (a version whose ETag is not the copy's was written by someone else,
    /// and is not claimed; a HEAD that is refused leaves the version unknown). On AWS an unversioned bucket costs one HEAD
    /// per run, a versioned one none.
    /// </summary>
    private async Task<string?> VersionWrittenAsync(string bucket, string key, string? reported, string? etag, RetryPolicy retry, CancellationToken cancellationToken)
    {
        if (reported is not null || Volatile.Read(ref _copiesHideVersions) == NoVersions)
        {
            return reported;
        }
        GetObjectMetadataResponse? head;
        try
        {
            head = await retry.RunAsync(token => _source.HeadOrNullAsync(bucket, key, token, expectedOwner: _owners.Source), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            // The copy is done; a role that may write but not read the source (the runbook's) cannot tell its version.
            Interlocked.CompareExchange(ref _copiesHideVersions, NoVersions, Unknown);
            return null;
        }
        var version = VersionOr(head?.VersionId);
        Interlocked.CompareExchange(ref _copiesHideVersions, version is not null ? Hidden : NoVersions, Unknown);
        return version is not null && (string.IsNullOrEmpty(etag) || ETags.Normalize(head!.ETag) == ETags.Normalize(etag)) ? version : null;
    }

    /// <summary>A version id as S3 reports it; an unversioned bucket reports none (or "null").</summary>
    private static string? VersionOr(string? reported, string? known = null) =>
        string.IsNullOrEmpty(reported) || reported == "null" ? (string.IsNullOrEmpty(known) ? null : known) : reported;

    private Task<GetObjectMetadataResponse> HeadAsync(S3ObjectRecord item, RetryPolicy retry, CancellationToken cancellationToken) =>
        retry.RunAsync(token => _backup.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId, ExpectedBucketOwner = _owners.Backup,
        }, token), cancellationToken);

    private async Task<CopyOutcome> MultipartCopyAsync(S3ObjectRecord item, string destinationBucket, RetryPolicy retry, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(item, retry, cancellationToken).ConfigureAwait(false);
        var checksum = CopyOptions.ChecksumOf(item);
        return await MultipartAsync(item, destinationBucket, head, _options.PartSizeFor(head.ContentLength), checksum, retry, (uploadId, partNumber, start, length, token) =>
            retry.RunAsync(async attempt => new PartETag(await _source.CopyPartAsync(new CopyPartRequest
            {
                SourceBucket = item.Bucket,
                SourceKey = item.Key,
                SourceVersionId = VersionOr(head.VersionId, item.VersionId),
                DestinationBucket = destinationBucket,
                DestinationKey = item.Key,
                UploadId = uploadId,
                PartNumber = partNumber,
                FirstByte = start,
                LastByte = start + length - 1,
                ExpectedBucketOwner = _owners.Source,
                ExpectedSourceBucketOwner = _owners.Backup,
            }, attempt).ConfigureAwait(false), copyChecksums: checksum is not null), token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GET from the backup with its credentials, PUT to the source with the other; large objects part by part.</summary>
    private async Task<CopyOutcome> StreamAsync(S3ObjectRecord item, string destinationBucket, RetryPolicy retry, CancellationToken cancellationToken)
    {
        if (item.Size > _options.MultipartThreshold)
        {
            return await StreamMultipartAsync(item, destinationBucket, retry, cancellationToken).ConfigureAwait(false);
        }
        // The GET and its PUT are one attempt: the body cannot be sent again without reading it again.
        var streamed = await retry.RunAsync(async token =>
        {
            using var response = await _backup.GetObjectAsync(new GetObjectRequest
            {
                BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId, ExpectedBucketOwner = _owners.Backup,
            }, token).ConfigureAwait(false);
            var size = response.ContentLength;
            if (size > _options.MultipartThreshold)
            {
                // A record that did not know its size (a row from a file): the object is larger than one streamed PUT should be.
                return null;
            }
            var tags = (response.TagCount ?? 0) > 0 ? await TagsAsync(item, token).ConfigureAwait(false) : new List<Tag>();
            var put = new PutObjectRequest
            {
                BucketName = destinationBucket,
                Key = item.Key,
                // An empty object's response stream, handed on as the body, is signed as if it had content and the server refuses
                // the PUT (XAmzContentSHA256Mismatch): an empty body is sent as one.
                InputStream = size == 0 ? new MemoryStream(Array.Empty<byte>(), writable: false) : response.ResponseStream,
                AutoCloseStream = false,
                ContentType = response.Headers.ContentType,
                TagSet = tags.Count > 0 ? tags : null,
                CannedACL = _options.CannedAcl,
                ChecksumAlgorithm = StreamedChecksumOf(item),
                ExpectedBucketOwner = _owners.Source,
            };
            (put.ServerSideEncryptionMethod, put.ServerSideEncryptionKeyManagementServiceKeyId) =
                EncryptionFor(response.ServerSideEncryptionMethod, response.ServerSideEncryptionKeyManagementServiceKeyId);
            CopyHeaders(response.Headers, response.ExpiresString, put.Headers);
            put.Headers.ContentLength = size;
            CopyMetadata(response.Metadata, put.Metadata);
            var written = await _source.PutObjectAsync(put, token).ConfigureAwait(false);
            return new CopyOutcome(SyncAction.Copied, size, VersionOr(response.VersionId, item.VersionId), VersionOr(written.VersionId));
        }, cancellationToken).ConfigureAwait(false);
        return streamed ?? await StreamMultipartAsync(item, destinationBucket, retry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ranged GETs of the pinned version (or, unversioned, of the ETag planned), each part held in a buffer of the run's
    /// budget from its GET until its UploadPart has gone, parts of one object in parallel.
    /// </summary>
    private async Task<CopyOutcome> StreamMultipartAsync(S3ObjectRecord item, string destinationBucket, RetryPolicy retry, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(item, retry, cancellationToken).ConfigureAwait(false);
        var partSize = _options.StreamPartSizeFor(head.ContentLength);
        if (partSize > Buffers.Limit)
        {
            throw new S3BackupException(ErrorId.InvalidArgument, System.Management.Automation.ErrorCategory.InvalidArgument,
                $"{item} ({head.ContentLength:N0} bytes) is streamed in parts of {partSize:N0} bytes (S3 allows 10,000 parts), which do not fit " +
                $"the buffer limit of {Buffers.Limit:N0} bytes: raise -MaxBufferSize to at least that.", item);
        }
        var version = VersionOr(head.VersionId, item.VersionId);
        var checksum = StreamedChecksumOf(item);
        return await MultipartAsync(item, destinationBucket, head, partSize, checksum, retry, (uploadId, partNumber, start, length, token) =>
            retry.RunAsync(async attempt =>
            {
                using var lease = await Buffers.RentAsync((int)length, attempt).ConfigureAwait(false);
                using (var part = await _backup.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = item.Bucket,
                    Key = item.Key,
                    VersionId = version,
                    EtagToMatch = version is null ? head.ETag : null,
                    ByteRange = new ByteRange(start, start + length - 1),
                    ExpectedBucketOwner = _owners.Backup,
                }, attempt).ConfigureAwait(false))
                {
                    var filled = await FillAsync(part.ResponseStream, lease.Buffer, attempt).ConfigureAwait(false);
                    if (filled != length)
                    {
                        throw new IOException($"The backup answered {filled:N0} of the {length:N0} bytes asked for part {partNumber} of {item}.");
                    }
                }
                using var body = new MemoryStream(lease.Buffer, 0, (int)length, writable: false);
                // A part of an upload with a checksum algorithm must carry its checksum by that algorithm (S3 refuses another or none).
                return new PartETag(await _source.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = destinationBucket,
                    Key = item.Key,
                    UploadId = uploadId,
                    PartNumber = partNumber,
                    InputStream = body,
                    PartSize = length,
                    ChecksumAlgorithm = checksum,
                    ExpectedBucketOwner = _owners.Source,
                }, attempt).ConfigureAwait(false), copyChecksums: checksum is not null);
            }, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The multipart frame both multipart paths share: initiate with the object's headers (and <paramref name="checksum"/>,
    /// the upload's checksum algorithm), send the parts, complete (an upload with a checksum algorithm only with each part's
    /// checksum, which <paramref name="sendPart"/> returns), or abort.
    /// </summary>
    private async Task<CopyOutcome> MultipartAsync(S3ObjectRecord item, string destinationBucket, GetObjectMetadataResponse head, long partSize,
        ChecksumAlgorithm? checksum, RetryPolicy retry, Func<string, int, long, long, CancellationToken, Task<PartETag>> sendPart, CancellationToken cancellationToken)
    {
        var tags = await retry.RunAsync(token => TagsAsync(item, token), cancellationToken).ConfigureAwait(false);
        await MultipartParts.AbortAbandonedAsync(_source, destinationBucket, item.Key, _started, cancellationToken, _owners.Source).ConfigureAwait(false);
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = destinationBucket,
            Key = item.Key,
            ContentType = head.Headers.ContentType,
            TagSet = tags.Count > 0 ? tags : null,
            CannedACL = _options.CannedAcl,
            ChecksumAlgorithm = checksum,
            ExpectedBucketOwner = _owners.Source,
        };
        (initiate.ServerSideEncryptionMethod, initiate.ServerSideEncryptionKeyManagementServiceKeyId) =
            EncryptionFor(head.ServerSideEncryptionMethod, head.ServerSideEncryptionKeyManagementServiceKeyId);
        CopyHeaders(head.Headers, head.ExpiresString, initiate.Headers);
        CopyMetadata(head.Metadata, initiate.Metadata);
        var upload = await retry.RunAsync(token => _source.InitiateMultipartUploadAsync(initiate, token), cancellationToken).ConfigureAwait(false);
        CompleteMultipartUploadResponse completed;
        try
        {
            var parts = await MultipartParts.SendAsync(head.ContentLength, partSize, _options.PartConcurrency,
                (partNumber, start, length, token) => sendPart(upload.UploadId, partNumber, start, length, token), cancellationToken).ConfigureAwait(false);
            completed = await retry.RunAsync(token => _source.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = destinationBucket,
                Key = item.Key,
                UploadId = upload.UploadId,
                PartETags = parts,
                ExpectedBucketOwner = _owners.Source,
            }, token), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await MultipartParts.AbortAsync(_source, destinationBucket, item.Key, upload.UploadId, _owners.Source).ConfigureAwait(false);
            throw;
        }
        await retry.RunAsync(token => KeepTagsAsync(destinationBucket, item.Key, tags, token), cancellationToken).ConfigureAwait(false);
        return new CopyOutcome(SyncAction.Copied, head.ContentLength, VersionOr(head.VersionId, item.VersionId),
            await VersionWrittenAsync(destinationBucket, item.Key, VersionOr(completed.VersionId), completed.ETag, retry, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Some S3-compatible servers (Ceph RGW) ignore the tags given to CreateMultipartUpload. The first tagged multipart
    /// copy of a run checks; the tags are put again only where the server dropped them, so on AWS no copy pays for it.
    /// </summary>
    private async Task KeepTagsAsync(string bucket, string key, List<Tag> tags, CancellationToken cancellationToken)
    {
        if (tags.Count == 0 || _multipartKeepsTags == true)
        {
            return;
        }
        if (_multipartKeepsTags is null)
        {
            var stored = await _source.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key, ExpectedBucketOwner = _owners.Source },
                cancellationToken).ConfigureAwait(false);
            _multipartKeepsTags = (stored.Tagging?.Count ?? 0) == tags.Count;
            if (_multipartKeepsTags == true)
            {
                return;
            }
        }
        await _source.PutObjectTaggingAsync(new PutObjectTaggingRequest
        {
            BucketName = bucket, Key = key, Tagging = new Tagging { TagSet = tags }, ExpectedBucketOwner = _owners.Source,
        }, cancellationToken).ConfigureAwait(false);
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
        (await _backup.GetObjectTaggingAsync(new GetObjectTaggingRequest
        {
            BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId, ExpectedBucketOwner = _owners.Backup,
        }, cancellationToken).ConfigureAwait(false)).Tagging ?? new List<Tag>();

    /// <param name="expires">The object's Expires as S3 sent it: the SDK keeps it out of a response's headers (ExpiresString).</param>
    private static void CopyHeaders(HeadersCollection from, string? expires, HeadersCollection to)
    {
        to.CacheControl = from.CacheControl;
        to.ContentDisposition = from.ContentDisposition;
        to.ContentEncoding = from.ContentEncoding;
        if (from["Content-Language"] is { Length: > 0 } language)
        {
            to["Content-Language"] = language;
        }
        if (!string.IsNullOrEmpty(expires))
        {
            to["Expires"] = expires;
        }
    }

    private static void CopyMetadata(MetadataCollection from, MetadataCollection to)
    {
        foreach (var key in from.Keys)
        {
            to.Add(key, from[key]);
        }
    }
}
