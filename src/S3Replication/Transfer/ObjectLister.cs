using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer;

/// <summary>Lists a bucket in key ranges read at the same time, yielding each object in S3's order as soon as its page may be (bounded memory).</summary>
internal sealed class ObjectLister : IObjectSource
{
    private readonly IAmazonS3 _s3;
    private readonly string? _expectedOwner;
    private readonly ListingLimits _limits;

    /// <param name="expectedOwner">The account the listed bucket must belong to (x-amz-expected-bucket-owner), where known.</param>
    /// <param name="limits">How far the listing spreads (<see cref="ListingLimits.Default"/> where null).</param>
    public ObjectLister(IAmazonS3 s3, string? expectedOwner = null, ListingLimits? limits = null)
    {
        _s3 = s3;
        _expectedOwner = expectedOwner;
        _limits = limits ?? ListingLimits.Default;
    }

    /// <summary>LIST requests name every version.</summary>
    public bool HasVersions => true;

    /// <summary>The latest objects under the prefix, in key order, listed in parallel ranges (<see cref="ParallelListing"/>).</summary>
    public IAsyncEnumerable<S3ObjectRecord> ListAsync(string bucket, string? prefix, CancellationToken cancellationToken) =>
        ParallelListing.ReadAsync(new ObjectPages(this, bucket), prefix, _limits, cancellationToken);

    /// <summary>Every version and delete marker, a key's versions together and newest first (S3's order), listed in parallel ranges.</summary>
    public IAsyncEnumerable<S3ObjectRecord> ListVersionsAsync(string bucket, string? prefix, CancellationToken cancellationToken) =>
        ParallelListing.ReadAsync(new VersionPages(this, bucket), prefix, _limits, cancellationToken);

    /// <summary>A page that failed for good (transient failures were retried), explained; null for cancellation and bugs.</summary>
    private static S3BackupException? Failure(Exception error, string iamAction, string what, string bucket, CancellationToken cancellationToken) =>
        RetryPolicies.S3.EndsItem(error, cancellationToken)
            ? AwsErrors.ForFailure(error, iamAction, "arn:aws:s3:::" + bucket, what, bucket)
            : null;

    /// <summary>ListObjectsV2 pages: a range starts after a key (StartAfter), later pages follow the continuation token.</summary>
    private sealed class ObjectPages : IListingPages
    {
        private readonly ObjectLister _lister;
        private readonly string _bucket;

        public ObjectPages(ObjectLister lister, string bucket)
        {
            _lister = lister;
            _bucket = bucket;
        }

        public async Task<ListingPage> ReadAsync(string prefix, string? startAfter, object? next, CancellationToken cancellationToken)
        {
            var request = new ListObjectsV2Request
            {
                BucketName = _bucket, Prefix = prefix.Length == 0 ? null : prefix, ExpectedBucketOwner = _lister._expectedOwner, StartAfter = startAfter, ContinuationToken = (string?)next,
            };
            ListObjectsV2Response page;
            try
            {
                page = await RetryPolicies.S3.RunAsync(token => _lister._s3.ListObjectsV2Async(request, token), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (Failure(error, "s3:ListBucket", $"Listing bucket {_bucket}", _bucket, cancellationToken) is { } failure)
            {
                throw failure;
            }
            var items = new List<S3ObjectRecord>(page.S3Objects?.Count ?? 0);
            foreach (var item in page.S3Objects ?? new List<S3Object>())
            {
                items.Add(new S3ObjectRecord
                {
                    Bucket = _bucket,
                    Key = item.Key,
                    Size = item.Size ?? 0,
                    ETag = item.ETag,
                    LastModified = item.LastModified?.ToUniversalTime(),
                    StorageClass = item.StorageClass?.Value,
                    ChecksumAlgorithm = FirstAlgorithm(item.ChecksumAlgorithm),
                });
            }
            return new ListingPage(items, string.IsNullOrEmpty(page.NextContinuationToken) ? null : page.NextContinuationToken);
        }
    }

    /// <summary>ListObjectVersions pages: a range starts after a key (KeyMarker alone), later pages follow both markers.</summary>
    private sealed class VersionPages : IListingPages
    {
        private readonly ObjectLister _lister;
        private readonly string _bucket;

        public VersionPages(ObjectLister lister, string bucket)
        {
            _lister = lister;
            _bucket = bucket;
        }

        public async Task<ListingPage> ReadAsync(string prefix, string? startAfter, object? next, CancellationToken cancellationToken)
        {
            var markers = (VersionMarkers?)next;
            var request = new ListVersionsRequest
            {
                BucketName = _bucket, Prefix = prefix.Length == 0 ? null : prefix, ExpectedBucketOwner = _lister._expectedOwner,
                KeyMarker = markers?.Key ?? startAfter, VersionIdMarker = markers?.VersionId,
            };
            ListVersionsResponse page;
            try
            {
                page = await RetryPolicies.S3.RunAsync(token => _lister._s3.ListVersionsAsync(request, token), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (Failure(error, "s3:ListBucketVersions", $"Listing the versions in bucket {_bucket}", _bucket, cancellationToken) is { } failure)
            {
                throw failure;
            }
            var items = new List<S3ObjectRecord>(page.Versions?.Count ?? 0);
            foreach (var version in page.Versions ?? new List<S3ObjectVersion>())
            {
                items.Add(new S3ObjectRecord
                {
                    Bucket = _bucket,
                    Key = version.Key,
                    VersionId = version.VersionId,
                    Size = version.Size ?? 0,
                    ETag = version.ETag,
                    LastModified = version.LastModified?.ToUniversalTime(),
                    StorageClass = version.StorageClass?.Value,
                    IsLatest = version.IsLatest ?? false,
                    IsDeleteMarker = version.IsDeleteMarker ?? false,
                    ChecksumAlgorithm = FirstAlgorithm(version.ChecksumAlgorithm),
                });
            }
            return new ListingPage(items, page.IsTruncated == true ? new VersionMarkers(page.NextKeyMarker, page.NextVersionIdMarker) : null);
        }
    }

    private sealed record VersionMarkers(string Key, string VersionId);

    private static string? FirstAlgorithm(System.Collections.Generic.List<string>? algorithms) =>
        algorithms is { Count: > 0 } ? algorithms[0] : null;
}
