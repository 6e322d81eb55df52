using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// A bucket listed from its S3 Inventory instead of LIST requests: the records a listing would give (the same shapes as
/// <see cref="ObjectLister"/>'s), in S3's order, read from the data files the manifest names (each checked against its
/// MD5) and sorted in bounded memory, since the files are in no order S3 promises. Each enumeration reads the files
/// again; its temporary files are removed when it ends, is cancelled or fails.
/// </summary>
internal sealed class InventoryListing : IObjectSource
{
    /// <summary>Records held in memory while sorting: about 25 MB for typical keys.</summary>
    public const int DefaultRunSize = 100_000;

    private const int CancellationCheckEvery = 4096;

    private readonly IAmazonS3 _s3;
    private readonly int _runSize;
    private readonly string? _temporaryRoot;
    private readonly Func<DateTime> _clock;

    /// <param name="manifest">A resolved manifest (<see cref="InventoryLocator"/>).</param>
    /// <param name="s3">A client that can read the manifest's destination bucket.</param>
    /// <param name="runSize">Records sorted in memory before a run is written to disk.</param>
    /// <param name="temporaryRoot">Where the temporary folder is made; the system's temporary folder by default.</param>
    /// <param name="clock">Now, in UTC, for <see cref="Age"/>.</param>
    public InventoryListing(InventoryManifest manifest, IAmazonS3 s3, int runSize = DefaultRunSize, string? temporaryRoot = null, Func<DateTime>? clock = null)
    {
        Manifest = manifest;
        _s3 = s3;
        _runSize = runSize;
        _temporaryRoot = temporaryRoot;
        _clock = clock ?? (() => DateTime.UtcNow);
    }

    public InventoryManifest Manifest { get; }

    /// <summary>The bucket the inventory lists: every record's Bucket.</summary>
    public string Bucket => Manifest.SourceBucket;

    /// <summary>When S3 began scanning the bucket for this inventory (the manifest's creationTimestamp).</summary>
    public DateTime CreatedUtc => Manifest.CreatedUtc;

    /// <summary>How old the inventory is now: changes since then are not in it.</summary>
    public TimeSpan Age => _clock() - CreatedUtc;

    /// <summary>An inventory of all versions (its schema has VersionId), which <see cref="ListVersionsAsync(string?, CancellationToken)"/> needs.</summary>
    public bool HasVersions => Manifest.HasVersions;

    /// <summary>An inventory tells the bucket as it was when it was taken (<see cref="CreatedUtc"/>).</summary>
    public bool IsSnapshot => true;

    /// <summary>
    /// Raised once an enumeration's files are read and sorted, before its first record, with how many records it yields:
    /// a run's progress total from the start.
    /// </summary>
    public event Action<long>? Sorted;

    /// <summary>How many sorted runs the last enumeration wrote to disk (0 when everything fitted in one run).</summary>
    public int SpilledRuns { get; private set; }

    /// <summary>"2026-12-01 00:00 UTC, 1.5 days ago": when the inventory was taken, for messages.</summary>
    public string DescribeAge()
    {
        var age = Age;
        var ago = age.TotalHours < 1 ? $"{Math.Max(0, age.TotalMinutes):0} minutes" : age.TotalDays < 2 ? $"{age.TotalHours:0.#} hours" : $"{age.TotalDays:0.#} days";
        return $"{CreatedUtc:yyyy-MM-dd HH:mm} UTC, {ago} ago";
    }

    /// <summary>As <see cref="ObjectLister.ListAsync"/>: <paramref name="bucket"/> must be the inventory's.</summary>
    public IAsyncEnumerable<S3ObjectRecord> ListAsync(string bucket, string? prefix, CancellationToken cancellationToken)
    {
        Manifest.RequireSourceBucket(bucket);
        return ListAsync(prefix, cancellationToken);
    }

    /// <summary>As <see cref="ObjectLister.ListVersionsAsync"/>: <paramref name="bucket"/> must be the inventory's.</summary>
    public IAsyncEnumerable<S3ObjectRecord> ListVersionsAsync(string bucket, string? prefix, CancellationToken cancellationToken)
    {
        Manifest.RequireSourceBucket(bucket);
        return ListVersionsAsync(prefix, cancellationToken);
    }

    /// <summary>
    /// The current objects under <paramref name="prefix"/> in S3's key order, as ListObjectsV2 gives them (no version id;
    /// from an inventory of versions, the current version of each key that is not a delete marker).
    /// </summary>
    public IAsyncEnumerable<S3ObjectRecord> ListAsync(string? prefix, CancellationToken cancellationToken)
    {
        RequireCovered(prefix);
        return SortedAsync(prefix, versions: false, cancellationToken);
    }

    /// <summary>
    /// Every version and delete marker under <paramref name="prefix"/> in ListObjectVersions' order (keys in S3's order,
    /// a key's versions newest first). Refused for an inventory of current versions only.
    /// </summary>
    public IAsyncEnumerable<S3ObjectRecord> ListVersionsAsync(string? prefix, CancellationToken cancellationToken)
    {
        RequireCovered(prefix);
        if (!HasVersions)
        {
            throw new S3BackupException(ErrorId.InventoryUnsupported, ErrorCategory.InvalidOperation,
                $"The inventory {Manifest.Location} lists only the current versions of s3://{Bucket}, and this needs every version: configure the inventory " +
                "with \"Include all versions\" (IncludedObjectVersions All) and use its next delivery, or list the bucket instead.", Manifest.Location);
        }
        if (!Manifest.Schema.Has(InventoryField.LastModifiedDate))
        {
            throw new S3BackupException(ErrorId.InventoryUnsupported, ErrorCategory.InvalidOperation,
                $"The inventory {Manifest.Location} has no LastModifiedDate, without which a key's versions cannot be put newest first: add the field " +
                "\"Last modified\" to the inventory configuration and use its next delivery, or list the bucket instead.", Manifest.Location);
        }
        return SortedAsync(prefix, versions: true, cancellationToken);
    }

    /// <summary>An inventory filtered to a prefix lists nothing outside it: planning wider would take every other key for missing.</summary>
    private void RequireCovered(string? prefix)
    {
        if (Manifest.ConfigurationPrefix is { Length: > 0 } covered && !(prefix ?? "").StartsWith(covered, StringComparison.Ordinal))
        {
            throw new S3BackupException(ErrorId.InventoryMismatch, ErrorCategory.InvalidArgument,
                $"The inventory {Manifest.Location} lists only keys under '{covered}' (its configuration's filter), so it cannot stand for " +
                $"s3://{Bucket}/{prefix}: give a -Prefix that starts with '{covered}', or list the bucket instead.", Manifest.Location);
        }
    }

    private async IAsyncEnumerable<S3ObjectRecord> SortedAsync(string? prefix, bool versions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        SpilledRuns = 0;
        var order = versions ? InventoryOrder.Versions : InventoryOrder.Keys;
        using var folder = new TemporaryFolder(_temporaryRoot);
        var sorter = new RecordSorter(order, Bucket, _runSize, folder);
        var records = new InventoryRecords(Bucket, Manifest.HasVersions);
        var fromVersions = Manifest.HasVersions;
        foreach (var file in Manifest.Files)
        {
            var path = await DownloadAsync(file, folder, cancellationToken).ConfigureAwait(false);
            var read = 0;
            foreach (var record in Read(path, file, records))
            {
                if ((++read % CancellationCheckEvery) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (prefix is { Length: > 0 } && !record.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }
                if (!versions)
                {
                    if (fromVersions && (!record.IsLatest || record.IsDeleteMarker))
                    {
                        continue;
                    }
                    record.VersionId = null;
                }
                sorter.Add(record);
            }
            File.Delete(path);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var sorted = sorter.Sorted(cancellationToken);
        SpilledRuns = sorter.SpilledRuns;
        Sorted?.Invoke(sorter.Count);
        S3ObjectRecord? previous = null;
        foreach (var record in sorted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (previous is not null)
            {
                RequireDistinct(previous, record, order, versions);
            }
            previous = record;
            yield return record;
        }
    }

    /// <summary>Nothing is deduplicated silently: an object listed twice means the inventory is not what S3 delivered.</summary>
    private void RequireDistinct(S3ObjectRecord previous, S3ObjectRecord record, InventoryOrder order, bool versions)
    {
        var twice = order.Same(previous, record) ? (versions ? $"version {record.VersionId} of '{record.Key}'" : $"'{record.Key}'")
            : versions && previous.Key == record.Key && record.IsLatest ? $"two current versions of '{record.Key}'"
            : null;
        if (twice is not null)
        {
            throw new S3BackupException(ErrorId.InventoryInvalid, ErrorCategory.InvalidData,
                $"The inventory {Manifest.Location} lists {twice} twice, which S3 Inventory never does: its data files overlap (a manifest edited " +
                "by hand, or files of two deliveries). Give the manifest.json of one delivery as S3 wrote it, or list the bucket instead.", record);
        }
    }

    private IEnumerable<S3ObjectRecord> Read(string path, InventoryDataFile file, InventoryRecords records)
    {
        var name = $"s3://{Manifest.DestinationBucket}/{file.Key}";
        return Manifest.Format == InventoryFormat.Csv
            ? InventoryCsvReader.Read(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), Manifest.Schema, records, Bucket, name)
            : InventoryParquetReader.Read(path, records, Bucket, name);
    }

    /// <summary>One data file into the temporary folder, its MD5 and size checked against the manifest as it streams; retried as a whole.</summary>
    private async Task<string> DownloadAsync(InventoryDataFile file, TemporaryFolder folder, CancellationToken cancellationToken)
    {
        var path = folder.NewFile(".data");
        var name = $"s3://{Manifest.DestinationBucket}/{file.Key}";
        try
        {
            await RetryPolicies.S3.RunAsync(async token =>
            {
                using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = Manifest.DestinationBucket, Key = file.Key }, token).ConfigureAwait(false);
                using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                using var md5 = MD5.Create();
                var buffer = new byte[1 << 16];
                long size = 0;
                int read;
                while ((read = await response.ResponseStream.ReadAsync(buffer, 0, buffer.Length, token).ConfigureAwait(false)) > 0)
                {
                    md5.TransformBlock(buffer, 0, read, null, 0);
                    await output.WriteAsync(buffer, 0, read, token).ConfigureAwait(false);
                    size += read;
                }
                md5.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                var actual = Hex.Of(md5.Hash!);
                if (size != file.Size || actual != file.Md5)
                {
                    throw new S3BackupException(ErrorId.InventoryInvalid, ErrorCategory.InvalidData,
                        $"The inventory file {name} is not the one its manifest {Manifest.Location} names: {size} bytes with MD5 {actual}, where the manifest " +
                        $"says {file.Size} bytes with MD5 {file.Md5}. It was replaced or damaged since its delivery: give a newer delivery's manifest, or list the bucket instead.",
                        name);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not S3BackupException && RetryPolicies.S3.EndsItem(error, cancellationToken))
        {
            throw AwsErrors.ForFailure(error, "s3:GetObject", $"arn:aws:s3:::{Manifest.DestinationBucket}/{file.Key}", $"Reading the inventory file {name}", name);
        }
        return path;
    }
}
