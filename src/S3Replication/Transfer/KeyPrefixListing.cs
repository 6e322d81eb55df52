using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Replication.Transfer;

/// <summary>One level of a bucket's keys under a prefix, as a completion list (or the hint for a prefix that selects nothing) shows it.</summary>
internal static class KeyPrefixListing
{
    /// <summary>
    /// The common prefixes (the "folders") right under <paramref name="typed"/>, then the keys at that level, each in S3's
    /// order. One LIST request of at most 1,000 entries: a longer list is not read by anyone at a prompt, and a second
    /// request would spend the seconds a completer has.
    /// </summary>
    public static async Task<IReadOnlyList<string>> NextLevelAsync(IAmazonS3 s3, string bucket, string typed, CancellationToken cancellationToken)
    {
        var page = await s3.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = bucket,
            Prefix = typed.Length == 0 ? null : typed,
            Delimiter = "/",
        }, cancellationToken).ConfigureAwait(false);
        return (page.CommonPrefixes ?? new List<string>())
            .Concat((page.S3Objects ?? new List<S3Object>()).Select(item => item.Key))
            .ToList();
    }
}
