using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>Lists a bucket page by page, yielding each object as soon as its page arrives (constant memory).</summary>
internal sealed class ObjectLister
{
    private readonly IAmazonS3 _s3;
    private readonly string? _expectedOwner;

    /// <param name="expectedOwner">The account the listed bucket must belong to (x-amz-expected-bucket-owner), where known.</param>
    public ObjectLister(IAmazonS3 s3, string? expectedOwner = null)
    {
        _s3 = s3;
        _expectedOwner = expectedOwner;
    }

    public async IAsyncEnumerable<S3ObjectRecord> ListAsync(string bucket, string? prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = string.IsNullOrEmpty(prefix) ? null : prefix, ExpectedBucketOwner = _expectedOwner };
        do
        {
            ListObjectsV2Response page;
            try
            {
                page = await RetryPolicies.S3.RunAsync(token => _s3.ListObjectsV2Async(request, token), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (Failure(error, "s3:ListBucket", $"Listing bucket {bucket}", bucket, cancellationToken) is { } failure)
            {
                throw failure;
            }
            foreach (var item in page.S3Objects ?? new List<S3Object>())
            {
                yield return new S3ObjectRecord
                {
                    Bucket = bucket,
                    Key = item.Key,
                    Size = item.Size ?? 0,
                    ETag = item.ETag,
                    LastModified = item.LastModified?.ToUniversalTime(),
                    StorageClass = item.StorageClass?.Value,
                    ChecksumAlgorithm = FirstAlgorithm(item.ChecksumAlgorithm),
                };
            }
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (!string.IsNullOrEmpty(request.ContinuationToken));
    }

    /// <summary>A page that failed for good (transient failures were retried), explained; null for cancellation and bugs.</summary>
    private static S3BackupException? Failure(Exception error, string iamAction, string what, string bucket, CancellationToken cancellationToken) =>
        RetryPolicies.S3.EndsItem(error, cancellationToken)
            ? AwsErrors.ForFailure(error, iamAction, "arn:aws:s3:::" + bucket, what, bucket)
            : null;

    /// <summary>Every version and delete marker, a key's versions together and newest first (S3's order).</summary>
    public async IAsyncEnumerable<S3ObjectRecord> ListVersionsAsync(string bucket, string? prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = bucket, Prefix = string.IsNullOrEmpty(prefix) ? null : prefix, ExpectedBucketOwner = _expectedOwner };
        while (true)
        {
            ListVersionsResponse page;
            try
            {
                page = await RetryPolicies.S3.RunAsync(token => _s3.ListVersionsAsync(request, token), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (Failure(error, "s3:ListBucketVersions", $"Listing the versions in bucket {bucket}", bucket, cancellationToken) is { } failure)
            {
                throw failure;
            }
            foreach (var version in page.Versions ?? new List<S3ObjectVersion>())
            {
                yield return new S3ObjectRecord
                {
                    Bucket = bucket,
                    Key = version.Key,
                    VersionId = version.VersionId,
                    Size = version.Size ?? 0,
                    ETag = version.ETag,
                    LastModified = version.LastModified?.ToUniversalTime(),
                    StorageClass = version.StorageClass?.Value,
                    IsLatest = version.IsLatest ?? false,
                    IsDeleteMarker = version.IsDeleteMarker ?? false,
                    ChecksumAlgorithm = FirstAlgorithm(version.ChecksumAlgorithm),
                };
            }
            if (page.IsTruncated != true)
            {
                yield break;
            }
            request.KeyMarker = page.NextKeyMarker;
            request.VersionIdMarker = page.NextVersionIdMarker;
        }
    }

    private static string? FirstAlgorithm(System.Collections.Generic.List<string>? algorithms) =>
        algorithms is { Count: > 0 } ? algorithms[0] : null;
}
