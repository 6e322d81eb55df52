using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Replication.Transfer;

/// <summary>A HEAD of a key that may well not be there (restores and uploads alike).</summary>
internal static class ObjectHead
{
    /// <summary>The object's metadata (with its additional checksums when asked), or null where the key or version does not exist.</summary>
    public static async Task<GetObjectMetadataResponse?> HeadOrNullAsync(this IAmazonS3 s3, string bucket, string key, CancellationToken cancellationToken,
        string? versionId = null, bool checksums = false, string? expectedOwner = null)
    {
        try
        {
            return await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
            {
                BucketName = bucket,
                Key = key,
                VersionId = versionId,
                ChecksumMode = checksums ? ChecksumMode.ENABLED : null,
                ExpectedBucketOwner = expectedOwner,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
