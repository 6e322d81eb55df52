using System;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using S3Replication.Core;
using S3Replication.Transfer.Inventory;
using Xunit;

namespace S3Replication.Tests.Transfer.Inventory;

public class InventoryManifestTests
{
    /// <summary>The user guide's example manifest of a CSV inventory ("Inventory manifest"), as it prints it.</summary>
    private const string GuideCsvManifest = """
        {
            "sourceBucket": "example-source-bucket",
            "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
            "version": "2016-11-30",
            "creationTimestamp" : "1514944800000",
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm",
            "files": [
                {
                    "key": "Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz",
                    "size": 2147483647,
                    "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"
                }
            ]
        }
        """;

    [Fact]
    public void The_user_guides_csv_manifest_reads_as_documented()
    {
        var manifest = InventoryManifest.Parse(GuideCsvManifest, "s3://d/m.json");
        Assert.Equal("example-source-bucket", manifest.SourceBucket);
        Assert.Equal("example-inventory-destination-bucket", manifest.DestinationBucket);
        Assert.Equal(new DateTime(2018, 1, 3, 2, 0, 0, DateTimeKind.Utc), manifest.CreatedUtc);
        Assert.Equal(DateTimeKind.Utc, manifest.CreatedUtc.Kind);
        Assert.Equal(InventoryFormat.Csv, manifest.Format);
        Assert.True(manifest.HasVersions);
        Assert.Equal(18, manifest.Schema.Columns.Count);
        Assert.Equal(InventoryField.ChecksumAlgorithm, manifest.Schema.Columns[17]);
        Assert.Equal(InventoryField.Other, manifest.Schema.Columns[9]);
        var file = Assert.Single(manifest.Files);
        Assert.Equal(new InventoryDataFile("Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz",
            2147483647, "f11166069f1990abeb9c97ace9cdfabc"), file);
    }

    [Fact]
    public void A_parquet_manifest_names_its_columns_in_snake_case()
    {
        var json = InventoryFiles.Manifest("src", "dst", "Parquet", InventoryFiles.ParquetSchemaText(versions: true), DateTime.UtcNow, Array.Empty<(string, byte[])>());
        var manifest = InventoryManifest.Parse(json, "s3://dst/m.json");
        Assert.Equal(InventoryFormat.Parquet, manifest.Format);
        Assert.True(manifest.HasVersions);
        Assert.Equal(new[] { InventoryField.Bucket, InventoryField.Key, InventoryField.VersionId, InventoryField.IsLatest, InventoryField.IsDeleteMarker,
            InventoryField.Size, InventoryField.LastModifiedDate, InventoryField.ETag, InventoryField.StorageClass, InventoryField.Other, InventoryField.ChecksumAlgorithm },
            manifest.Schema.Columns);
        Assert.False(InventoryManifest.Parse(InventoryFiles.Manifest("src", "dst", "Parquet", InventoryFiles.ParquetSchemaText(versions: false), DateTime.UtcNow,
            Array.Empty<(string, byte[])>()), "m").HasVersions);
    }

    [Fact]
    public void Orc_is_refused_with_what_to_configure_instead()
    {
        var json = GuideCsvManifest.Replace("\"CSV\"", "\"ORC\"");
        var refused = Assert.Throws<S3BackupException>(() => InventoryManifest.Parse(json, "s3://d/m.json"));
        Assert.Equal(ErrorId.InventoryUnsupported, refused.ErrorId);
        Assert.Contains("ORC", refused.Message);
        Assert.Contains("CSV or Parquet", refused.Message);
    }

    [Theory]
    [InlineData("\"creationTimestamp\" : \"1514944800000\"", "\"creationTimestamp\" : \"2018-01-03\"", "creationTimestamp")]
    [InlineData("\"MD5checksum\": \"f11166069f1990abeb9c97ace9cdfabc\"", "\"MD5checksum\": \"nope\"", "MD5checksum")]
    [InlineData("\"fileFormat\": \"CSV\"", "\"fileFormat\": \"JSON\"", "fileFormat")]
    [InlineData("\"sourceBucket\": \"example-source-bucket\",", "", "sourceBucket")]
    public void A_manifest_not_as_aws_writes_it_is_refused_naming_what(string field, string replacement, string named)
    {
        var refused = Assert.Throws<S3BackupException>(() => InventoryManifest.Parse(GuideCsvManifest.Replace(field, replacement), "s3://d/m.json"));
        Assert.Equal(ErrorId.InventoryInvalid, refused.ErrorId);
        Assert.Contains(named, refused.Message);
        Assert.Contains("s3://d/m.json", refused.Message);
    }

    [Fact]
    public async Task An_inventory_of_another_bucket_is_refused_saying_where_the_right_one_lies()
    {
        var server = new InventoryServer();
        var location = server.Deliver("inv", "p/other-bucket/daily/", "2026-12-01T00-00Z", "other-bucket", "CSV", InventoryFiles.CurrentSchema, DateTime.UtcNow,
            new[] { InventoryFiles.Csv("other-bucket", InventoryFiles.CurrentSchema, Array.Empty<Records.S3ObjectRecord>()) });
        var refused = await Assert.ThrowsAsync<S3BackupException>(() => InventoryLocator.ResolveAsync(server.Client(), location, "sds-data-dev", CancellationToken.None));
        Assert.Equal(ErrorId.InventoryMismatch, refused.ErrorId);
        Assert.Contains("s3://other-bucket", refused.Message);
        Assert.Contains("/sds-data-dev/", refused.Message);
    }

    [Fact]
    public async Task A_folder_gives_its_newest_complete_delivery()
    {
        var server = new InventoryServer { PageSize = 2 };
        var empty = new[] { InventoryFiles.Csv("src", InventoryFiles.CurrentSchema, Array.Empty<Records.S3ObjectRecord>()) };
        foreach (var day in new[] { "2026-11-28", "2026-11-29", "2026-11-30" })
        {
            server.Deliver("inv", "p/src/daily/", $"{day}T01-00Z", "src", "CSV", InventoryFiles.CurrentSchema, DateTime.Parse(day + "T01:00:00Z").ToUniversalTime(), empty);
        }
        // Today's delivery is still under way: no manifest.checksum yet.
        server.Deliver("inv", "p/src/daily/", "2026-12-01T01-00Z", "src", "CSV", InventoryFiles.CurrentSchema, DateTime.UtcNow, empty, complete: false);
        server.Put("inv", "p/src/daily/hive/dt=2026-11-30-01-00/symlink.txt", "x");

        var manifest = await InventoryLocator.ResolveAsync(server.Client(), "s3://inv/p/src/daily", "src", CancellationToken.None);
        Assert.Equal("s3://inv/p/src/daily/2026-11-30T01-00Z/manifest.json", manifest.Location);
        Assert.Equal(new DateTime(2026, 11, 30, 1, 0, 0, DateTimeKind.Utc), manifest.CreatedUtc);

        var same = await InventoryLocator.ResolveAsync(server.Client(), "s3://inv/p/src/daily/2026-11-30T01-00Z/", "src", CancellationToken.None);
        Assert.Equal(manifest.Location, same.Location);
    }

    [Fact]
    public async Task A_manifest_without_its_checksum_or_with_another_is_refused()
    {
        var server = new InventoryServer();
        var empty = new[] { InventoryFiles.Csv("src", InventoryFiles.CurrentSchema, Array.Empty<Records.S3ObjectRecord>()) };
        var underway = server.Deliver("inv", "src/c/", "2026-12-01T01-00Z", "src", "CSV", InventoryFiles.CurrentSchema, DateTime.UtcNow, empty, complete: false);
        var missing = await Assert.ThrowsAsync<S3BackupException>(() => InventoryLocator.ResolveAsync(server.Client(), underway, "src", CancellationToken.None));
        Assert.Equal(ErrorId.InventoryNotFound, missing.ErrorId);
        Assert.Contains("manifest.checksum", missing.Message);

        server.Put("inv", "src/c/2026-12-01T01-00Z/manifest.checksum", new string('0', 32));
        var changed = await Assert.ThrowsAsync<S3BackupException>(() => InventoryLocator.ResolveAsync(server.Client(), underway, "src", CancellationToken.None));
        Assert.Equal(ErrorId.InventoryInvalid, changed.ErrorId);

        var none = await Assert.ThrowsAsync<S3BackupException>(() => InventoryLocator.ResolveAsync(server.Client(), "s3://inv/elsewhere/", "src", CancellationToken.None));
        Assert.Equal(ErrorId.InventoryNotFound, none.ErrorId);
        Assert.Contains("YYYY-MM-DDTHH-MMZ", none.Message);
    }

    [Fact]
    public async Task A_configuration_id_leads_to_its_destination_and_keeps_its_filter()
    {
        var server = new InventoryServer();
        server.Configure("src", "daily", "arn:aws:s3:::inv", "reports/", "CSV", filterPrefix: "imap/");
        server.Deliver("inv", "reports/src/daily/", "2026-12-01T01-00Z", "src", "CSV", InventoryFiles.CurrentSchema, DateTime.UtcNow,
            new[] { InventoryFiles.Csv("src", InventoryFiles.CurrentSchema, Array.Empty<Records.S3ObjectRecord>()) });

        var manifest = await InventoryLocator.ResolveAsync(server.Client(), "daily", "src", CancellationToken.None);
        Assert.Equal("s3://inv/reports/src/daily/2026-12-01T01-00Z/manifest.json", manifest.Location);
        Assert.Equal("imap/", manifest.ConfigurationPrefix);
        var request = server.Http.Requests.First();
        Assert.Equal("/src/", request.Uri.AbsolutePath);
        Assert.Contains("inventory", request.Uri.Query);
        Assert.Contains("id=daily", request.Uri.Query);

        // An inventory of imap/ cannot stand for the whole bucket: every other key would look missing.
        var listing = new InventoryListing(manifest, server.Client());
        var wider = Assert.Throws<S3BackupException>(() => listing.ListAsync("", CancellationToken.None));
        Assert.Equal(ErrorId.InventoryMismatch, wider.ErrorId);
        Assert.Contains("'imap/'", wider.Message);
        Assert.NotNull(listing.ListAsync("imap/mag/", CancellationToken.None));

        var unknown = await Assert.ThrowsAsync<S3BackupException>(() => InventoryLocator.ResolveAsync(server.Client(), "weekly", "src", CancellationToken.None));
        Assert.Equal(ErrorId.InventoryNotFound, unknown.ErrorId);
        Assert.Contains("'weekly'", unknown.Message);

        server.Configure("src", "orc", "arn:aws:s3:::inv", null, "ORC");
        var orc = await Assert.ThrowsAsync<S3BackupException>(() => InventoryLocator.ResolveAsync(server.Client(), "orc", "src", CancellationToken.None));
        Assert.Equal(ErrorId.InventoryUnsupported, orc.ErrorId);
    }

    [Fact]
    public void Age_is_counted_from_the_creation_timestamp()
    {
        var manifest = InventoryManifest.Parse(GuideCsvManifest, "m");
        var listing = new InventoryListing(manifest, new InventoryServer().Client(), clock: () => manifest.CreatedUtc.AddHours(30));
        long? counted = null;
        listing.Sorted += count => counted = count;
        Assert.Equal(TimeSpan.FromHours(30), listing.Age);
        Assert.Equal("2018-01-03 02:00 UTC, 30 hours ago", listing.DescribeAge());
        Assert.True(listing.HasVersions);
        Assert.Null(counted);
    }

    [Fact]
    public void A_key_decodes_as_form_url_encoding_and_bad_escapes_are_refused()
    {
        Assert.Equal("a b+c/d€ 😀", InventoryCsvReader.DecodeKey(InventoryFiles.EncodeKey("a b+c/d€ 😀"), "f", 1));
        Assert.Equal("a b+c", InventoryCsvReader.DecodeKey("a+b%2Bc", "f", 1));
        Assert.Equal("plain/key.cdf", InventoryCsvReader.DecodeKey("plain/key.cdf", "f", 1));
        Assert.Equal(ErrorId.InventoryInvalid, Assert.Throws<S3BackupException>(() => InventoryCsvReader.DecodeKey("a%2", "f", 1)).ErrorId);
        Assert.Equal(ErrorId.InventoryInvalid, Assert.Throws<S3BackupException>(() => InventoryCsvReader.DecodeKey("a%FF", "f", 1)).ErrorId);
        Assert.Equal(Encoding.UTF8.GetBytes("x"), Encoding.UTF8.GetBytes(InventoryCsvReader.DecodeKey("%78", "f", 1)));
    }
}
