using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Replication.Transfer;

/// <summary>A HEAD of the destination's copy of a key, which is often not there yet (restores and uploads alike).</summary>
internal static class ObjectHead
{
    /// <summary>The object's metadata, or null where the key does not exist.</summary>
    public static async Task<GetObjectMetadataResponse?> HeadOrNullAsync(this IAmazonS3 s3, string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>What the restore decision needs of the object under a key (size and ETag), or null where there is none.</summary>
    public static async Task<Records.S3ObjectRecord?> RecordOrNullAsync(this IAmazonS3 s3, string bucket, string key, CancellationToken cancellationToken) =>
        await s3.HeadOrNullAsync(bucket, key, cancellationToken).ConfigureAwait(false) is { } head
            ? new Records.S3ObjectRecord { Bucket = bucket, Key = key, Size = head.ContentLength, ETag = head.ETag }
            : null;
}
