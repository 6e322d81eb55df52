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

    /// <summary>A listing tells the bucket as it is now.</summary>
    public bool IsSnapshot => false;

    /// <summary>The latest objects under the prefix, in key order, listed in parallel ranges (<see cref="ParallelListing"/>).</summary>
    public IAsyncEnumerable<S3ObjectRecord> ListAsync(string bucket, string? prefix, CancellationToken cancellationToken) =>
        ParallelListing.ReadAsync(new Pages((range, startAfter, next, token) => ObjectPageAsync(bucket, range, startAfter, (string?)next, token)), prefix, _limits,
            cancellationToken);

    /// <summary>Every version and delete marker, a key's versions together and newest first (S3's order), listed in parallel ranges.</summary>
    public IAsyncEnumerable<S3ObjectRecord> ListVersionsAsync(string bucket, string? prefix, CancellationToken cancellationToken) =>
        ParallelListing.ReadAsync(new Pages((range, startAfter, next, token) => VersionPageAsync(bucket, range, startAfter, (VersionMarkers?)next, token)), prefix,
            _limits, cancellationToken);

    /// <summary>A ListObjectsV2 page: a range starts after a key (StartAfter), later pages follow the continuation token.</summary>
    private async Task<ListingPage> ObjectPageAsync(string bucket, string prefix, string? startAfter, string? continuation, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request
        {
            BucketName = bucket, Prefix = prefix.Length == 0 ? null : prefix, ExpectedBucketOwner = _expectedOwner, StartAfter = startAfter, ContinuationToken = continuation,
        };
        var page = await RequestAsync(token => _s3.ListObjectsV2Async(request, token), "s3:ListBucket", $"Listing bucket {bucket}", bucket, cancellationToken)
            .ConfigureAwait(false);
        var items = new List<S3ObjectRecord>(page.S3Objects?.Count ?? 0);
        foreach (var item in page.S3Objects ?? new List<S3Object>())
        {
            items.Add(new S3ObjectRecord
            {
                Bucket = bucket,
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

    /// <summary>A ListObjectVersions page: a range starts after a key (KeyMarker alone), later pages follow both markers.</summary>
    private async Task<ListingPage> VersionPageAsync(string bucket, string prefix, string? startAfter, VersionMarkers? markers, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest
        {
            BucketName = bucket, Prefix = prefix.Length == 0 ? null : prefix, ExpectedBucketOwner = _expectedOwner,
            KeyMarker = markers?.Key ?? startAfter, VersionIdMarker = markers?.VersionId,
        };
        var page = await RequestAsync(token => _s3.ListVersionsAsync(request, token), "s3:ListBucketVersions", $"Listing the versions in bucket {bucket}", bucket,
            cancellationToken).ConfigureAwait(false);
        var items = new List<S3ObjectRecord>(page.Versions?.Count ?? 0);
        foreach (var version in page.Versions ?? new List<S3ObjectVersion>())
        {
            items.Add(new S3ObjectRecord
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
            });
        }
        return new ListingPage(items, page.IsTruncated == true ? new VersionMarkers(page.NextKeyMarker, page.NextVersionIdMarker) : null);
    }

    /// <summary>One LIST request, retried by the module's policy; a page that failed for good is explained (the missing permission on the bucket).</summary>
    private static async Task<T> RequestAsync<T>(Func<CancellationToken, Task<T>> call, string iamAction, string what, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            return await RetryPolicies.S3.RunAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            throw AwsErrors.ForFailure(error, iamAction, "arn:aws:s3:::" + bucket, what, bucket);
        }
    }

    /// <summary>The pages of one bucket's listing, as <see cref="ParallelListing"/> reads them.</summary>
    private sealed class Pages : IListingPages
    {
        private readonly Func<string, string?, object?, CancellationToken, Task<ListingPage>> _read;

        public Pages(Func<string, string?, object?, CancellationToken, Task<ListingPage>> read) => _read = read;

        public Task<ListingPage> ReadAsync(string prefix, string? startAfter, object? next, CancellationToken cancellationToken) =>
            _read(prefix, startAfter, next, cancellationToken);
    }

    private sealed record VersionMarkers(string Key, string VersionId);

    private static string? FirstAlgorithm(List<string>? algorithms) =>
        algorithms is { Count: > 0 } ? algorithms[0] : null;
}
