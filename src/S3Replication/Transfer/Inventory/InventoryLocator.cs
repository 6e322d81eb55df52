using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// Finds the manifest of an inventory from what a user gives: <c>s3://bucket/…/manifest.json</c>; the folder of a
/// configuration's deliveries, <c>s3://destination/prefix/source-bucket/config-id/</c>, whose newest delivery is taken
/// (<c>YYYY-MM-DDTHH-MMZ/</c> with both manifest.json and manifest.checksum: S3 writes the checksum when a delivery is
/// complete); or the id of an inventory configuration of the bucket being planned, which names that folder.
/// Every manifest is checked against its manifest.checksum, and must list the bucket being planned.
/// </summary>
internal static class InventoryLocator
{
    private const string ManifestName = "manifest.json";
    private const string ChecksumName = "manifest.checksum";

    private static readonly Regex Delivery = new(@"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z/$", RegexOptions.CultureInvariant);

    /// <param name="s3">A client that can read the inventory's destination bucket (and the planned bucket's inventory configuration, for an id).</param>
    /// <param name="location">An s3:// manifest or folder, or an inventory configuration id of <paramref name="plannedBucket"/>.</param>
    /// <param name="plannedBucket">The bucket the inventory must list.</param>
    public static async Task<InventoryManifest> ResolveAsync(IAmazonS3 s3, string location, string plannedBucket, CancellationToken cancellationToken)
    {
        InventoryManifest manifest;
        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var path = location.Substring("s3://".Length);
            var slash = path.IndexOf('/');
            var bucket = slash < 0 ? path : path.Substring(0, slash);
            var key = slash < 0 ? "" : path.Substring(slash + 1);
            manifest = key.EndsWith(".json", StringComparison.Ordinal)
                ? await ReadAsync(s3, bucket, key, cancellationToken).ConfigureAwait(false)
                : await NewestAsync(s3, bucket, key, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            manifest = await FromConfigurationAsync(s3, plannedBucket, location, cancellationToken).ConfigureAwait(false);
        }
        manifest.RequireSourceBucket(plannedBucket);
        return manifest;
    }

    /// <summary>A manifest and its checksum; refused when the checksum is missing (a delivery under way) or differs.</summary>
    public static async Task<InventoryManifest> ReadAsync(IAmazonS3 s3, string bucket, string key, CancellationToken cancellationToken)
    {
        var location = $"s3://{bucket}/{key}";
        var folder = key.Substring(0, key.LastIndexOf('/') + 1);
        var json = await GetAsync(s3, bucket, key, cancellationToken).ConfigureAwait(false)
            ?? throw NotFound(location, $"There is no inventory manifest at {location}");
        var checksum = await GetAsync(s3, bucket, folder + ChecksumName, cancellationToken).ConfigureAwait(false)
            ?? throw NotFound(location, $"The inventory manifest {location} has no {ChecksumName} beside it, which S3 writes once a delivery is complete: " +
                "wait for it, or give an earlier delivery's manifest");
        using var md5 = MD5.Create();
        var actual = Hex.Of(md5.ComputeHash(json));
        var expected = Encoding.ASCII.GetString(checksum).Trim().ToLowerInvariant();
        if (actual != expected)
        {
            throw new S3BackupException(ErrorId.InventoryInvalid, ErrorCategory.InvalidData,
                $"The inventory manifest {location} has MD5 {actual}, but its {ChecksumName} says '{expected}': it was changed or damaged after delivery. " +
                "Give another delivery's manifest, or list the bucket instead.", location);
        }
        return InventoryManifest.Parse(Encoding.UTF8.GetString(json), location);
    }

    /// <summary>The newest complete delivery in a configuration's folder (or the manifest of a delivery's own folder).</summary>
    public static async Task<InventoryManifest> NewestAsync(IAmazonS3 s3, string bucket, string prefix, CancellationToken cancellationToken)
    {
        var folder = prefix.Length == 0 || prefix.EndsWith("/", StringComparison.Ordinal) ? prefix : prefix + "/";
        var (files, folders) = await ListAsync(s3, bucket, folder, cancellationToken).ConfigureAwait(false);
        if (files.Contains(ManifestName))
        {
            return await ReadAsync(s3, bucket, folder + ManifestName, cancellationToken).ConfigureAwait(false);
        }
        var deliveries = folders.Where(name => Delivery.IsMatch(name)).OrderByDescending(name => name, StringComparer.Ordinal).ToList();
        foreach (var delivery in deliveries)
        {
            var (inside, _) = await ListAsync(s3, bucket, folder + delivery, cancellationToken).ConfigureAwait(false);
            if (inside.Contains(ManifestName) && inside.Contains(ChecksumName))
            {
                return await ReadAsync(s3, bucket, folder + delivery + ManifestName, cancellationToken).ConfigureAwait(false);
            }
        }
        throw NotFound($"s3://{bucket}/{folder}", deliveries.Count == 0
            ? $"There is no inventory delivery under s3://{bucket}/{folder} (folders named YYYY-MM-DDTHH-MMZ/ holding {ManifestName})"
            : $"None of the {deliveries.Count} inventory deliveries under s3://{bucket}/{folder} is complete (each needs {ManifestName} and {ChecksumName})");
    }

    /// <summary>
    /// The newest delivery of an inventory configuration of <paramref name="bucket"/>: its destination names the bucket
    /// and prefix; deliveries lie under <c>prefix/bucket/id/</c>. Its filter prefix is kept, since such an inventory
    /// lists nothing outside it.
    /// </summary>
    public static async Task<InventoryManifest> FromConfigurationAsync(IAmazonS3 s3, string bucket, string id, CancellationToken cancellationToken)
    {
        InventoryConfiguration configuration;
        try
        {
            configuration = (await RetryPolicies.S3.RunAsync(token =>
                s3.GetBucketInventoryConfigurationAsync(new GetBucketInventoryConfigurationRequest { BucketName = bucket, InventoryId = id }, token), cancellationToken)
                .ConfigureAwait(false)).InventoryConfiguration;
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "NoSuchConfiguration")
        {
            throw new S3BackupException(ErrorId.InventoryNotFound, ErrorCategory.ObjectNotFound,
                $"s3://{bucket} has no inventory configuration '{id}': give the id of one of its inventory configurations (S3 console: the bucket's " +
                "Management tab, Inventory configurations), an s3:// manifest.json, or the s3:// folder of an inventory's deliveries.", id, error);
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            throw AwsErrors.ForFailure(error, "s3:GetInventoryConfiguration", "arn:aws:s3:::" + bucket, $"Reading the inventory configuration '{id}' of s3://{bucket}", id);
        }
        var destination = configuration?.Destination?.S3BucketDestination
            ?? throw new S3BackupException(ErrorId.InventoryNotFound, ErrorCategory.ObjectNotFound,
                $"The inventory configuration '{id}' of s3://{bucket} names no destination bucket.", id);
        if (destination.InventoryFormat == Amazon.S3.InventoryFormat.ORC)
        {
            throw new S3BackupException(ErrorId.InventoryUnsupported, ErrorCategory.NotImplemented,
                $"The inventory configuration '{id}' of s3://{bucket} delivers ORC, which this module does not read: set its output format to CSV or Parquet " +
                "(the next delivery uses it), or list the bucket instead.", id);
        }
        var destinationBucket = destination.BucketName.Split(':').Last();
        var destinationPrefix = string.IsNullOrEmpty(destination.Prefix) ? "" : destination.Prefix.TrimEnd('/') + "/";
        var manifest = await NewestAsync(s3, destinationBucket, $"{destinationPrefix}{bucket}/{id}/", cancellationToken).ConfigureAwait(false);
        return manifest.Covering((configuration!.InventoryFilter?.InventoryFilterPredicate as InventoryPrefixPredicate)?.Prefix);
    }

    /// <summary>The names of the objects and sub-folders directly in <paramref name="folder"/>, relative to it.</summary>
    private static async Task<(HashSet<string> Files, List<string> Folders)> ListAsync(IAmazonS3 s3, string bucket, string folder, CancellationToken cancellationToken)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        var folders = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = folder.Length == 0 ? null : folder, Delimiter = "/" };
        do
        {
            ListObjectsV2Response page;
            try
            {
                page = await RetryPolicies.S3.RunAsync(token => s3.ListObjectsV2Async(request, token), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
            {
                throw AwsErrors.ForFailure(error, "s3:ListBucket", "arn:aws:s3:::" + bucket, $"Looking for inventory deliveries in s3://{bucket}/{folder}", bucket);
            }
            files.UnionWith((page.S3Objects ?? new List<S3Object>()).Select(item => item.Key.Substring(folder.Length)));
            folders.AddRange((page.CommonPrefixes ?? new List<string>()).Select(common => common.Substring(folder.Length)));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (!string.IsNullOrEmpty(request.ContinuationToken));
        return (files, folders);
    }

    /// <summary>An object's bytes; null when there is no such key.</summary>
    private static async Task<byte[]?> GetAsync(IAmazonS3 s3, string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await RetryPolicies.S3.RunAsync(async token =>
            {
                using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, token).ConfigureAwait(false);
                using var content = new MemoryStream();
                await response.ResponseStream.CopyToAsync(content, 1 << 16, token).ConfigureAwait(false);
                return content.ToArray();
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (error.ErrorCode == "NoSuchKey")
        {
            return null;
        }
        catch (Exception error) when (RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            throw AwsErrors.ForFailure(error, "s3:GetObject", $"arn:aws:s3:::{bucket}/{key}", $"Reading s3://{bucket}/{key}", $"s3://{bucket}/{key}");
        }
    }

    private static S3BackupException NotFound(string location, string what) =>
        new(ErrorId.InventoryNotFound, ErrorCategory.ObjectNotFound, what + ".", location);
}
