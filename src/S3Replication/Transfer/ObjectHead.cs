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
}
