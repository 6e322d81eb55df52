using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CsCheck;
using Parquet;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Tests.Support;
using S3Replication.Transfer;
using S3Replication.Transfer.Inventory;
using Xunit;
using static S3Replication.Tests.Support.Generators;

namespace S3Replication.Tests.Transfer.Inventory;

public sealed class InventoryListingTests : IDisposable
{
    private const string Source = "sds-data-dev";
    private const string Destination = "sds-inventory";
    private static readonly DateTime Base = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Keys that trip orderings: spaces, '+', '%', runs of '/', deep prefixes, unicode, supplementary characters beside U+E000..U+FFFF, 1,024-byte keys.</summary>
    private static readonly Gen<string> Keys = Gen.OneOf(
        Gen.Select(Pick("imap/", "imap//mag/", "a b/", "x+y/", "100%/", "ünï/", "", "/", "a/b/c/d/e/f/g/h/i/j/"), Gen.Int[0, 30], (prefix, n) => $"{prefix}f{n}"),
        Gen.Select(Pick("\uFFFD", "\uE000", "\U0001F600", "\U00010000", "\u00E9", "e\u0301", "~", "\u007F", ",\"q\""), Gen.Int[0, 5], (odd, n) => $"k{odd}{n}"),
        Gen.Int[0, 3].Select(n => new string('k', 1020) + n.ToString("D4")));

    /// <summary>A key's versions, newest first: the newest is current, any may be a delete marker, the oldest may be the null version.</summary>
    private static readonly Gen<(string Key, bool[] Markers, bool NullVersion, int Seed, string StorageClass, string? Checksum)> KeyVersions =
        Gen.Select(Keys, Gen.Bool.Array[1, 4], Gen.Bool, Gen.Int[0, 3], Pick("STANDARD", "GLACIER", "INTELLIGENT_TIERING"), Pick<string?>(null, "CRC64NVME", "SHA256"));

    private static IEnumerable<S3ObjectRecord> VersionsOf((string Key, bool[] Markers, bool NullVersion, int Seed, string StorageClass, string? Checksum) spec) =>
        spec.Markers.Select((marker, index) => new S3ObjectRecord
        {
            Bucket = Source,
            Key = spec.Key,
            VersionId = spec.NullVersion && index == spec.Markers.Length - 1 ? "null" : $"v{spec.Seed}-{index}",
            IsLatest = index == 0,
            IsDeleteMarker = marker,
            Size = marker ? 0 : spec.Seed * 1000L + index,
            ETag = marker ? null : index % 2 == 0 ? $"\"{InventoryFiles.Md5(BitConverter.GetBytes(spec.Seed + index))}\"" : $"\"{InventoryFiles.Md5(BitConverter.GetBytes(index))}-3\"",
            LastModified = Base.AddMinutes(-index * 7).AddMilliseconds(spec.Seed),
            StorageClass = marker ? null : spec.StorageClass,
            ChecksumAlgorithm = marker ? null : spec.Checksum,
        });

    /// <summary>Every version of a random bucket, in ListObjectVersions' order (the reference: keys in S3's order, each key's versions as generated).</summary>
    private static readonly Gen<List<S3ObjectRecord>> Bucket = KeyVersions.Array[0, 50].Select(specs => specs
        .GroupBy(spec => spec.Key, StringComparer.Ordinal).Select(group => group.First())
        .OrderBy(spec => spec.Key, KeyOrder.Instance).SelectMany(VersionsOf).ToList());

    private readonly string _temporary = Path.Combine(Path.GetTempPath(), "s3r-inventory-tests-" + Guid.NewGuid().ToString("N"));

    public InventoryListingTests() => Directory.CreateDirectory(_temporary);

    public void Dispose() => Directory.Delete(_temporary, recursive: true);

    private static async Task<List<S3ObjectRecord>> ToListAsync(IAsyncEnumerable<S3ObjectRecord> records)
    {
        var list = new List<S3ObjectRecord>();
        await foreach (var record in records)
        {
            list.Add(record);
        }
        return list;
    }

    private static string Shape(S3ObjectRecord record) =>
        $"{record.Bucket}|{record.Key}|{record.VersionId}|{record.IsLatest}|{record.IsDeleteMarker}|{record.Size}|{record.ETag}|" +
        $"{record.LastModified?.ToString("O")}|{record.LastModified?.Kind}|{record.StorageClass}|{record.ChecksumAlgorithm}";

    /// <summary>The rows in random order, cut into <paramref name="cuts"/> files, delivered as CSV or Parquet, the manifest resolved.</summary>
    private static InventoryManifest Deliver(InventoryServer server, IEnumerable<S3ObjectRecord> rows, bool versions, bool parquet, int seed, int files = 3)
    {
        var random = new Random(seed);
        var shuffled = rows.OrderBy(_ => random.Next()).ToList();
        var cuts = Enumerable.Range(0, files - 1).Select(_ => random.Next(shuffled.Count + 1)).OrderBy(cut => cut).Prepend(0).Append(shuffled.Count).ToList();
        var parts = cuts.Zip(cuts.Skip(1), (from, to) => shuffled.GetRange(from, to - from)).ToList();
        var schema = parquet ? InventoryFiles.ParquetSchemaText(versions) : versions ? InventoryFiles.VersionsSchema : InventoryFiles.CurrentSchema;
        var location = server.Deliver(Destination, $"inventory/{Source}/all/", "2026-12-01T01-00Z", Source, parquet ? "Parquet" : "CSV", schema, Base.AddDays(30),
            parts.Select(part => parquet ? InventoryFiles.Parquet(Source, versions, part, rowGroup: 5) : InventoryFiles.Csv(Source, schema, part)).ToList(),
            extension: parquet ? "parquet" : "csv.gz");
        return InventoryLocator.ResolveAsync(server.Client(), location, Source, CancellationToken.None).GetAwaiter().GetResult();
    }

    [Fact]
    public void Versions_and_latest_objects_come_out_in_s3s_order_whatever_the_files_order()
    {
        Gen.Select(Bucket, Gen.Bool, Gen.Int, Gen.Int[1, 4]).Sample((reference, parquet, seed, files) =>
        {
            // CsCheck samples on several threads: each sample has a temporary folder of its own.
            var temporary = Directory.CreateDirectory(Path.Combine(_temporary, Guid.NewGuid().ToString("N"))).FullName;
            var server = new InventoryServer();
            var listing = new InventoryListing(Deliver(server, reference, versions: true, parquet, seed, files), server.Client(), runSize: 7, temporaryRoot: temporary);
            long? counted = null;
            listing.Sorted += count => counted = count;

            var versions = ToListAsync(listing.ListVersionsAsync(Source, null, CancellationToken.None)).GetAwaiter().GetResult();
            Assert.Equal(reference.Select(Shape), versions.Select(Shape));
            Assert.Equal(reference.Count, counted);

            var latest = ToListAsync(listing.ListAsync(Source, null, CancellationToken.None)).GetAwaiter().GetResult();
            var expected = reference.Where(record => record.IsLatest && !record.IsDeleteMarker).Select(record => Shape(WithoutVersion(record))).ToList();
            Assert.Equal(expected, latest.Select(Shape));
            Assert.Equal(expected.Count, counted);

            // The version listing and point-in-time selection over it agree with the latest listing, as they do for S3's own listings.
            var selected = ToListAsync(VersionSelector.AsOf(listing.ListVersionsAsync(null, CancellationToken.None), null)).GetAwaiter().GetResult();
            Assert.Equal(expected, selected.Select(record => Shape(WithoutVersion(record))));

            var picked = reference.Count > 0 ? reference[(seed & 0x7FFFFFFF) % reference.Count].Key : "imap/";
            var prefix = picked.Substring(0, Math.Min(picked.Length, 1 + (seed & 7)));
            var under = ToListAsync(listing.ListVersionsAsync(prefix, CancellationToken.None)).GetAwaiter().GetResult();
            Assert.Equal(reference.Where(record => record.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(Shape), under.Select(Shape));

            Assert.Empty(Directory.EnumerateFileSystemEntries(temporary));
        }, iter: 120);
    }

    [Fact]
    public void An_inventory_of_current_versions_lists_them_in_key_order_and_refuses_a_version_listing()
    {
        Gen.Select(Bucket, Gen.Bool, Gen.Int).Sample((all, parquet, seed) =>
        {
            var current = all.Where(record => record.IsLatest && !record.IsDeleteMarker).Select(WithoutVersion).ToList();
            var server = new InventoryServer();
            var listing = new InventoryListing(Deliver(server, current, versions: false, parquet, seed), server.Client(), runSize: 7, temporaryRoot: _temporary);
            Assert.False(listing.HasVersions);
            var listed = ToListAsync(listing.ListAsync(null, CancellationToken.None)).GetAwaiter().GetResult();
            Assert.Equal(current.Select(Shape), listed.Select(Shape));
            var refused = Assert.Throws<S3BackupException>(() => listing.ListVersionsAsync(null, CancellationToken.None));
            Assert.Equal(ErrorId.InventoryUnsupported, refused.ErrorId);
            Assert.Contains("Include all versions", refused.Message);
        }, iter: 40);
    }

    private static S3ObjectRecord WithoutVersion(S3ObjectRecord record) => new()
    {
        Bucket = record.Bucket, Key = record.Key, Size = record.Size, ETag = record.ETag, LastModified = record.LastModified,
        StorageClass = record.StorageClass, ChecksumAlgorithm = record.ChecksumAlgorithm,
    };

    [Fact]
    public async Task An_inventory_record_is_what_the_listing_gives_for_the_same_object()
    {
        var record = new S3ObjectRecord
        {
            Bucket = Source, Key = "imap/mag/a b+c.cdf", Size = 1234, ETag = "\"0cc175b9c0f1b6a831c399e269772661\"",
            LastModified = new DateTime(2026, 11, 30, 10, 0, 0, 123, DateTimeKind.Utc), StorageClass = "STANDARD", ChecksumAlgorithm = "CRC64NVME",
        };
        var listingServer = new FakeS3(_ => FakeS3.Xml($"<ListBucketResult><Name>{Source}</Name><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>" +
            $"<IsTruncated>false</IsTruncated>{InventoryServer.ListingOf(record)}</ListBucketResult>"));
        var listed = Assert.Single(await ToListAsync(new ObjectLister(listingServer.Client()).ListAsync(Source, null, CancellationToken.None)));

        foreach (var parquet in new[] { false, true })
        {
            var server = new InventoryServer();
            var inventory = Assert.Single(await ToListAsync(new InventoryListing(Deliver(server, new[] { record }, versions: false, parquet, 1, files: 1),
                server.Client(), temporaryRoot: _temporary).ListAsync(Source, null, CancellationToken.None)));
            Assert.Equal(Shape(listed), Shape(inventory));
        }
    }

    [Fact]
    public async Task Sorting_holds_at_most_a_run_in_memory_and_removes_its_files()
    {
        var random = new Random(7);
        var records = Enumerable.Range(0, 1000).Select(n => new S3ObjectRecord { Bucket = Source, Key = $"k/{random.Next():D10}/{n}", Size = n }).ToList();
        var server = new InventoryServer();
        var listing = new InventoryListing(Deliver(server, records, versions: false, parquet: false, 3, files: 4), server.Client(), runSize: 7, temporaryRoot: _temporary);
        var seenFolders = new HashSet<string>();
        var listed = new List<S3ObjectRecord>();
        await foreach (var record in listing.ListAsync(null, CancellationToken.None))
        {
            seenFolders.UnionWith(Directory.EnumerateDirectories(_temporary));
            listed.Add(record);
        }
        Assert.Equal(records.Select(record => record.Key).OrderBy(key => key, KeyOrder.Instance), listed.Select(record => record.Key));
        // 1,000 records in runs of 7: 143 runs, of which 64 and then 64 more are merged first (at most 64 files open at once).
        Assert.Equal(143 + 2, listing.SpilledRuns);
        Assert.Single(seenFolders);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temporary));

        var sorter = new RecordSorter(InventoryOrder.Keys, Source, 7, new TemporaryFolder(_temporary));
        foreach (var record in records)
        {
            sorter.Add(record);
        }
        Assert.Equal(7, sorter.MostHeld);
        Assert.Equal(142, sorter.SpilledRuns);
    }

    [Fact]
    public async Task Stopping_early_cancelling_or_failing_removes_the_temporary_files()
    {
        var records = Enumerable.Range(0, 200).Select(n => new S3ObjectRecord { Bucket = Source, Key = $"k{n:D4}", Size = n }).ToList();
        var server = new InventoryServer();
        var listing = new InventoryListing(Deliver(server, records, versions: false, parquet: true, 5), server.Client(), runSize: 7, temporaryRoot: _temporary);

        await foreach (var record in listing.ListAsync(null, CancellationToken.None))
        {
            Assert.NotEmpty(Directory.EnumerateFileSystemEntries(_temporary));
            break;
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temporary));

        using var cancel = new CancellationTokenSource();
        var taken = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var record in listing.ListAsync(null, cancel.Token))
            {
                if (++taken == 3)
                {
                    cancel.Cancel();
                }
            }
        });
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temporary));

        // Cancelled while a data file is read: the downloaded files go too.
        using var early = new CancellationTokenSource();
        server.Before = request =>
        {
            if (request.Uri.AbsolutePath.Contains("-1.parquet", StringComparison.Ordinal))
            {
                early.Cancel();
            }
            return null;
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ToListAsync(listing.ListAsync(null, early.Token)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temporary));

        // A file that is not Parquet at all (its MD5 as the manifest says): refused, and nothing left behind.
        server.Before = null;
        var broken = new InventoryServer();
        var good = InventoryFiles.Parquet(Source, false, records.Take(100).ToList());
        var location = broken.Deliver(Destination, "i/", "2026-12-01T01-00Z", Source, "Parquet", InventoryFiles.ParquetSchemaText(false), Base,
            new[] { good, good.Take(good.Length / 2).Concat(good.TakeLast(8)).ToArray() }, extension: "parquet");
        var brokenListing = new InventoryListing(await InventoryLocator.ResolveAsync(broken.Client(), location, Source, CancellationToken.None), broken.Client(),
            runSize: 7, temporaryRoot: _temporary);
        var refused = await Assert.ThrowsAsync<S3BackupException>(() => ToListAsync(brokenListing.ListAsync(null, CancellationToken.None)));
        Assert.Equal(ErrorId.InventoryInvalid, refused.ErrorId);
        Assert.Contains("-1.parquet", refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temporary));
    }

    [Fact]
    public async Task A_data_file_that_differs_from_its_manifest_is_refused()
    {
        var records = Enumerable.Range(0, 20).Select(n => new S3ObjectRecord { Bucket = Source, Key = $"k{n}", Size = n }).ToList();
        var server = new InventoryServer();
        var manifest = Deliver(server, records, versions: false, parquet: false, 9, files: 2);
        server.Put(Destination, manifest.Files[1].Key, InventoryFiles.Csv(Source, InventoryFiles.CurrentSchema, records.Take(3)));
        var refused = await Assert.ThrowsAsync<S3BackupException>(() =>
            ToListAsync(new InventoryListing(manifest, server.Client(), temporaryRoot: _temporary).ListAsync(null, CancellationToken.None)));
        Assert.Equal(ErrorId.InventoryInvalid, refused.ErrorId);
        Assert.Contains("MD5", refused.Message);
        Assert.Contains(manifest.Files[1].Key, refused.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temporary));

        server.Put(Destination, manifest.Files[1].Key, Array.Empty<byte>());
        server.Http.Requests.Clear();
        var gone = new InventoryServer();
        var missing = await Assert.ThrowsAsync<S3BackupException>(() =>
            ToListAsync(new InventoryListing(manifest, gone.Client(), temporaryRoot: _temporary).ListAsync(null, CancellationToken.None)));
        Assert.Equal(ErrorId.AwsRequestFailed, missing.ErrorId);
        Assert.Contains("NoSuchKey", missing.Message);
    }

    [Fact]
    public async Task An_object_listed_twice_is_an_error_not_deduplicated()
    {
        var record = new S3ObjectRecord { Bucket = Source, Key = "imap/a.cdf", Size = 3, VersionId = "v1", IsLatest = true, LastModified = Base };
        var other = new S3ObjectRecord { Bucket = Source, Key = "imap/b.cdf", Size = 4, VersionId = "v1", IsLatest = true, LastModified = Base };
        var server = new InventoryServer();
        var location = server.Deliver(Destination, "i/", "2026-12-01T01-00Z", Source, "CSV", InventoryFiles.VersionsSchema, Base, new[]
        {
            InventoryFiles.Csv(Source, InventoryFiles.VersionsSchema, new[] { record, other }),
            InventoryFiles.Csv(Source, InventoryFiles.VersionsSchema, new[] { record }),
        });
        var listing = new InventoryListing(await InventoryLocator.ResolveAsync(server.Client(), location, Source, CancellationToken.None), server.Client(),
            temporaryRoot: _temporary);
        var versions = await Assert.ThrowsAsync<S3BackupException>(() => ToListAsync(listing.ListVersionsAsync(null, CancellationToken.None)));
        Assert.Equal(ErrorId.InventoryInvalid, versions.ErrorId);
        Assert.Contains("version v1 of 'imap/a.cdf' twice", versions.Message);
        var latest = await Assert.ThrowsAsync<S3BackupException>(() => ToListAsync(listing.ListAsync(null, CancellationToken.None)));
        Assert.Contains("'imap/a.cdf' twice", latest.Message);

        var twoCurrent = new S3ObjectRecord { Bucket = Source, Key = "imap/a.cdf", Size = 3, VersionId = "v2", IsLatest = true, LastModified = Base.AddDays(1) };
        server.Deliver(Destination, "j/", "2026-12-01T01-00Z", Source, "CSV", InventoryFiles.VersionsSchema, Base,
            new[] { InventoryFiles.Csv(Source, InventoryFiles.VersionsSchema, new[] { record, twoCurrent }) });
        var both = new InventoryListing(await InventoryLocator.ResolveAsync(server.Client(), $"s3://{Destination}/j/", Source, CancellationToken.None),
            server.Client(), temporaryRoot: _temporary);
        var refused = await Assert.ThrowsAsync<S3BackupException>(() => ToListAsync(both.ListVersionsAsync(null, CancellationToken.None)));
        Assert.Contains("two current versions of 'imap/a.cdf'", refused.Message);
    }

    [Fact]
    public async Task Versions_of_one_millisecond_keep_one_order_and_the_current_comes_first()
    {
        var rows = new[] { "b", "c", "a" }.Select(id => new S3ObjectRecord { Bucket = Source, Key = "k", VersionId = id, IsLatest = id == "c", LastModified = Base }).ToList();
        var server = new InventoryServer();
        var listing = new InventoryListing(Deliver(server, rows, versions: true, parquet: false, 1), server.Client(), temporaryRoot: _temporary);
        Assert.Equal(new[] { "c", "a", "b" }, (await ToListAsync(listing.ListVersionsAsync(null, CancellationToken.None))).Select(record => record.VersionId));
    }

    [Theory]
    [InlineData(CompressionMethod.Snappy)]
    [InlineData(CompressionMethod.Gzip)]
    [InlineData(CompressionMethod.None)]
    public async Task Parquet_reads_with_the_codecs_a_writer_may_use(CompressionMethod codec)
    {
        var records = Enumerable.Range(0, 300).Select(n => new S3ObjectRecord
        {
            Bucket = Source, Key = $"imap/{n % 7}/file-{n:D5}.cdf", Size = n * 1000L, ETag = $"\"{InventoryFiles.Md5(BitConverter.GetBytes(n))}\"",
            LastModified = Base.AddSeconds(n), StorageClass = n % 3 == 0 ? "GLACIER" : "STANDARD", ChecksumAlgorithm = n % 2 == 0 ? null : "CRC32",
        }).ToList();
        var server = new InventoryServer();
        var location = server.Deliver(Destination, "i/", "2026-12-01T01-00Z", Source, "Parquet", InventoryFiles.ParquetSchemaText(false), Base,
            new[] { InventoryFiles.Parquet(Source, false, records, codec, rowGroup: 64) }, extension: "parquet");
        var listing = new InventoryListing(await InventoryLocator.ResolveAsync(server.Client(), location, Source, CancellationToken.None), server.Client(),
            temporaryRoot: _temporary);
        Assert.Equal(records.OrderBy(record => record.Key, KeyOrder.Instance).Select(Shape), (await ToListAsync(listing.ListAsync(null, CancellationToken.None))).Select(Shape));
    }

    [Fact]
    public async Task Parquet_in_a_codec_this_module_does_not_read_is_refused_by_name()
    {
        var server = new InventoryServer();
        var location = server.Deliver(Destination, "i/", "2026-12-01T01-00Z", Source, "Parquet", InventoryFiles.ParquetSchemaText(false), Base,
            new[] { InventoryFiles.Parquet(Source, false, new[] { new S3ObjectRecord { Bucket = Source, Key = "k", Size = 1 } }, CompressionMethod.Zstd) },
            extension: "parquet");
        var listing = new InventoryListing(await InventoryLocator.ResolveAsync(server.Client(), location, Source, CancellationToken.None), server.Client(),
            temporaryRoot: _temporary);
        var refused = await Assert.ThrowsAsync<S3BackupException>(() => ToListAsync(listing.ListAsync(null, CancellationToken.None)));
        Assert.Equal(ErrorId.InventoryUnsupported, refused.ErrorId);
        Assert.Contains("Zstd", refused.Message);
        Assert.Contains("CSV", refused.Message);
    }
}
