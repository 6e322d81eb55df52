using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Replication.Transfer;

/// <summary>The parallel middle and the clean-up of every multipart upload (copies and file uploads alike).</summary>
internal static class MultipartParts
{
    /// <summary>
    /// Sends the parts of an object of <paramref name="size"/> bytes, at most <paramref name="concurrency"/> at once;
    /// <paramref name="sendPart"/> gets the part number, first byte, length and a token, and returns the part as
    /// CompleteMultipartUpload lists it: its number, its ETag and, where the upload has a checksum algorithm, its checksum.
    /// The first part that fails for good stops the rest (those running are cancelled, none further is started) and its
    /// failure is thrown: the caller aborts the upload, and the object is retried whole.
    /// </summary>
    public static async Task<List<PartETag>> SendAsync(long size, long partSize, int concurrency, Func<int, long, long, CancellationToken, Task<PartETag>> sendPart,
        CancellationToken cancellationToken)
    {
        var parts = new List<PartETag>();
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(concurrency);
        var running = new List<Task>();
        Exception? firstFailure = null;
        try
        {
            for (long first = 0, number = 1; first < size; first += partSize, number++)
            {
                var (start, partNumber, length) = (first, (int)number, Math.Min(partSize, size - first));
                await slots.WaitAsync(failed.Token).ConfigureAwait(false);
                if (Volatile.Read(ref firstFailure) is not null)
                {
                    slots.Release();
                    break;
                }
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var part = await sendPart(partNumber, start, length, failed.Token).ConfigureAwait(false);
                        lock (parts)
                        {
                            parts.Add(part);
                        }
                    }
                    catch (Exception error) when (!cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.CompareExchange(ref firstFailure, error, null);
                        failed.Cancel();
                        throw;
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (firstFailure is not null && !cancellationToken.IsCancellationRequested)
        {
            // A part failed while the next one waited for a slot: its failure is what surfaces below.
        }
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception) when (firstFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(firstFailure).Throw();
        }
        if (firstFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(firstFailure).Throw();
        }
        return parts.OrderBy(part => part.PartNumber).ToList();
    }

    /// <summary>
    /// Aborts uploads of <paramref name="key"/> started before <paramref name="startedBefore"/>: what an earlier run
    /// that was killed mid-transfer left behind. The key is about to be written again, so they can only lose.
    /// Best effort: a server that cannot list uploads (or denies it) leaves them to S3 lifecycle rules.
    /// </summary>
    public static async Task AbortAbandonedAsync(IAmazonS3 s3, string bucket, string key, DateTime startedBefore, CancellationToken cancellationToken,
        string? expectedOwner = null)
    {
        ListMultipartUploadsResponse pending;
        try
        {
            pending = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Prefix = key, ExpectedBucketOwner = expectedOwner },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonServiceException)
        {
            return;
        }
        foreach (var upload in pending.MultipartUploads ?? new List<MultipartUpload>())
        {
            if (upload.Key == key && upload.Initiated is { } initiated && initiated.ToUniversalTime() < startedBefore)
            {
                await AbortAsync(s3, bucket, key, upload.UploadId, expectedOwner).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Best effort, uncancellable: a cancelled transfer must still not leave a pending upload behind.</summary>
    public static async Task AbortAsync(IAmazonS3 s3, string bucket, string key, string uploadId, string? expectedOwner = null)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, ExpectedBucketOwner = expectedOwner },
                timeout.Token)
                .ConfigureAwait(false);
        }
        catch (Exception error) when (error is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            // The next run's transfer of this key supersedes it; S3 lifecycle rules can expire abandoned uploads.
        }
    }
}
