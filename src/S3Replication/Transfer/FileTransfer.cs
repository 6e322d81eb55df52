using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Util;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>Tuning of uploads; downloads stream one object per worker.</summary>
internal sealed record TransferOptions(long MultipartThreshold, long PartSize, int PartConcurrency)
{
    /// <summary>The canned ACL uploads carry (null: none), as decided for the bucket (<see cref="ObjectAcl.Decide"/>).</summary>
    public S3CannedACL? CannedAcl { get; init; }

    public const long MiB = 1024 * 1024;

    /// <summary>The aws CLI's part size, so objects it uploaded compare as identical (their ETags depend on it).</summary>
    public static readonly TransferOptions Default = new(16 * MiB, 8 * MiB, 4);

    public long PartSizeFor(long size) => Math.Max(PartSize, (size + CopyOptions.MaxParts - 1) / CopyOptions.MaxParts);
}

/// <summary>Why a file was transferred or not; TransferResult.Reason's names.</summary>
internal enum TransferReason
{
    Missing,
    Different,
    Resumed,
    Identical,
    FolderMarker,
    DeleteMarker,
}

/// <summary>What happened to one file: transferred (or skipped as identical), why, the bytes moved and the object version.</summary>
internal sealed record TransferOutcome(bool Transferred, TransferReason? Reason, long Bytes, string? VersionId = null)
{
    public static TransferOutcome Identical(string? versionId) => new(false, TransferReason.Identical, 0, versionId);
}

/// <summary>
/// Downloads objects to files and uploads files to objects. Downloads land in a hidden partial file next to the
/// final one and are renamed into place only when complete and verified, so an interrupted run never leaves a
/// truncated file under the final name; the next run resumes the partial file where the object is unchanged. Each
/// request is retried on its own under the run's policy; a download attempt resumes where the last one stopped.
/// </summary>
internal sealed class FileTransfer
{
    private const string PartialPrefix = ".s3partial-";
    private const int BufferSize = 1 << 16;
    private readonly IAmazonS3 _s3;
    private readonly TransferOptions _options;
    private readonly DateTime _started = DateTime.UtcNow;

    public FileTransfer(IAmazonS3 s3, TransferOptions options)
    {
        _s3 = s3;
        _options = options;
    }

    public static bool IsPartialFile(string path) => Path.GetFileName(path).StartsWith(PartialPrefix, StringComparison.Ordinal);

    public async Task<TransferOutcome> DownloadAsync(S3ObjectRecord item, string path, bool force, RetryPolicy retry, CancellationToken cancellationToken)
    {
        var expected = item.ETag is null || item.LastModified is null ? await retry.RunAsync(token => HeadAsync(item, token), cancellationToken).ConfigureAwait(false) : item;
        if (File.Exists(path))
        {
            if (await IsSameFileAsync(path, expected, cancellationToken).ConfigureAwait(false))
            {
                return TransferOutcome.Identical(item.VersionId);
            }
            if (!force)
            {
                throw new S3BackupException(ErrorId.FileExists, ErrorCategory.ResourceExists,
                    $"{path} exists and differs from {item}; add -Force to overwrite it.", path);
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = PartialPathFor(path, expected);
        // One attempt reads from where the partial file ends, so a retry after a dropped connection resumes.
        return await retry.RunAsync(token => DownloadOnceAsync(item, expected, path, partial, token), cancellationToken).ConfigureAwait(false);
    }

    private async Task<TransferOutcome> DownloadOnceAsync(S3ObjectRecord item, S3ObjectRecord expected, string path, string partial, CancellationToken cancellationToken)
    {
        var resumeAt = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (resumeAt > expected.Size)
        {
            resumeAt = 0;
        }

        GetObjectResponse response;
        try
        {
            response = await GetAsync(item, expected, resumeAt, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (resumeAt > 0 && error.ErrorCode is "PreconditionFailed" or "InvalidRange")
        {
            // The object changed since the partial file was written (or it is complete already): start over.
            resumeAt = 0;
            response = await GetAsync(item, expected, 0, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            using (response)
            using (var file = new FileStream(partial, resumeAt > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                await response.ResponseStream.CopyToAsync(file, BufferSize, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Amazon.Runtime.AmazonClientException)
        {
            // The SDK found the body does not match its MD5: nothing of it is worth resuming. (A dropped connection,
            // an IOException, keeps the partial file for the next attempt.)
            File.Delete(partial);
            throw;
        }
        var size = resumeAt + response.ContentLength;
        await VerifyAsync(partial, size, response, resumed: resumeAt > 0, cancellationToken).ConfigureAwait(false);

        File.SetLastWriteTimeUtc(partial, (response.LastModified ?? expected.LastModified ?? DateTime.UtcNow).ToUniversalTime());
        if (File.Exists(path))
        {
            File.Replace(partial, path, null);
        }
        else
        {
            File.Move(partial, path);
        }
        return new TransferOutcome(true, resumeAt > 0 ? TransferReason.Resumed : null, size - resumeAt, response.VersionId);
    }

    private Task<GetObjectResponse> GetAsync(S3ObjectRecord item, S3ObjectRecord expected, long resumeAt, CancellationToken cancellationToken) =>
        _s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = item.Bucket,
            Key = item.Key,
            VersionId = item.VersionId,
            ByteRange = resumeAt > 0 ? new ByteRange(resumeAt, expected.Size - 1) : null,
            EtagToMatch = resumeAt > 0 ? $"\"{ETags.Normalize(expected.ETag)}\"" : null,
        }, cancellationToken);

    /// <summary>
    /// The whole object arrived, and after a resume, where its ETag is an MD5 (not SSE-KMS or SSE-C), the content is
    /// that MD5; otherwise the partial file is discarded and the transient failure retried. A download in one piece
    /// is not read again: the SDK checks its MD5 while it streams (and fails the GET, see DownloadAsync), but it
    /// cannot check a ranged GET against the whole object's ETag.
    /// </summary>
    private static async Task VerifyAsync(string partial, long size, GetObjectResponse response, bool resumed, CancellationToken cancellationToken)
    {
        var length = new FileInfo(partial).Length;
        string? problem = null;
        if (length != size)
        {
            problem = $"{length} bytes arrived of {size}";
        }
        else if (resumed
            && response.ServerSideEncryptionMethod != ServerSideEncryptionMethod.AWSKMS
            && response.ServerSideEncryptionMethod != ServerSideEncryptionMethod.AWSKMSDSSE
            && (response.ServerSideEncryptionCustomerMethod is null || response.ServerSideEncryptionCustomerMethod == ServerSideEncryptionCustomerMethod.None)
            && ETags.PartCount(response.ETag) == 1 && !ETags.Normalize(response.ETag).Contains("-")
            && await ETags.FileMatchesAsync(partial, response.ETag, Array.Empty<long>(), cancellationToken).ConfigureAwait(false) == false)
        {
            problem = "the content does not match the object's MD5 ETag";
        }
        if (problem is not null)
        {
            File.Delete(partial);
            throw new IOException($"The download was damaged ({problem}); it is retried from the start.");
        }
    }

    /// <summary>Same size, and either the modification time a download gives the file or the same content by ETag.</summary>
    private static async Task<bool> IsSameFileAsync(string path, S3ObjectRecord expected, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (info.Length != expected.Size)
        {
            return false;
        }
        // A download stamps the file with the object's LastModified, a whole second; a file another program wrote has
        // the time of that write, to the nanosecond on today's file systems. So only an exact match may skip the hash:
        // "within a second" took a file changed in the same second as the upload for an unchanged one.
        if (expected.LastModified is { } modified && info.LastWriteTimeUtc == modified.ToUniversalTime())
        {
            return true;
        }
        return await ETags.FileMatchesAsync(path, expected.ETag, Array.Empty<long>(), cancellationToken).ConfigureAwait(false) == true;
    }

    private async Task<S3ObjectRecord> HeadAsync(S3ObjectRecord item, CancellationToken cancellationToken)
    {
        var head = await _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = item.Bucket, Key = item.Key, VersionId = item.VersionId },
            cancellationToken).ConfigureAwait(false);
        return new S3ObjectRecord
        {
            Bucket = item.Bucket, Key = item.Key, VersionId = item.VersionId, Size = head.ContentLength, ETag = head.ETag,
            LastModified = head.LastModified?.ToUniversalTime(),
        };
    }

    /// <summary>A hidden name next to the final file, specific to this object version, so a later run can resume it.</summary>
    internal static string PartialPathFor(string path, S3ObjectRecord expected)
    {
        using var sha = SHA256.Create();
        var identity = sha.ComputeHash(Encoding.UTF8.GetBytes($"{Path.GetFileName(path)}\n{ETags.Normalize(expected.ETag)}\n{expected.VersionId}\n{expected.Size}"));
        var tag = Hex.Of(identity.Take(8));
        return Path.Combine(Path.GetDirectoryName(path)!, PartialPrefix + tag);
    }

    public async Task<TransferOutcome> UploadAsync(string path, string bucket, string key, RetryPolicy retry, CancellationToken cancellationToken)
    {
        var size = new FileInfo(path).Length;
        var existing = await retry.RunAsync(token => _s3.HeadOrNullAsync(bucket, key, token), cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.ContentLength == size
            && await ETags.FileMatchesAsync(path, existing.ETag, new[] { _options.PartSizeFor(size) }, cancellationToken).ConfigureAwait(false) == true)
        {
            return TransferOutcome.Identical(existing.VersionId);
        }
        var reason = existing is null ? TransferReason.Missing : TransferReason.Different;
        var contentType = AmazonS3Util.MimeTypeFromExtension(Path.GetExtension(path));
        if (size <= _options.MultipartThreshold)
        {
            var put = await retry.RunAsync(token => _s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket, Key = key, FilePath = path, ContentType = contentType, CannedACL = _options.CannedAcl,
            }, token), cancellationToken).ConfigureAwait(false);
            return new TransferOutcome(true, reason, size, put.VersionId);
        }

        await MultipartParts.AbortAbandonedAsync(_s3, bucket, key, _started, cancellationToken).ConfigureAwait(false);
        var upload = await retry.RunAsync(token => _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket, Key = key, ContentType = contentType, CannedACL = _options.CannedAcl,
        }, token), cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = await MultipartParts.SendAsync(size, _options.PartSizeFor(size), _options.PartConcurrency, async (partNumber, start, length, token) =>
                new PartETag(partNumber, (await retry.RunAsync(attempt => _s3.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = partNumber,
                    FilePath = path,
                    FilePosition = start,
                    PartSize = length,
                }, attempt), token).ConfigureAwait(false)).ETag), cancellationToken).ConfigureAwait(false);
            var completed = await retry.RunAsync(token => _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts,
            }, token), cancellationToken).ConfigureAwait(false);
            return new TransferOutcome(true, reason, size, completed.VersionId);
        }
        catch
        {
            await MultipartParts.AbortAsync(_s3, bucket, key, upload.UploadId).ConfigureAwait(false);
            throw;
        }
    }
}
