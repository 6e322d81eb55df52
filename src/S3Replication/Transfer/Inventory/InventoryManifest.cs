using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using S3Replication.Core;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// An S3 Inventory's manifest.json as AWS documents it: sourceBucket (a name), destinationBucket (an ARN),
/// version, creationTimestamp (milliseconds since the epoch, as a string), fileFormat (CSV, ORC or Parquet),
/// fileSchema, and files (key, size, MD5checksum), the data files in the destination bucket.
/// </summary>
internal sealed class InventoryManifest
{
    private InventoryManifest(string location, string sourceBucket, string destinationBucket, DateTime createdUtc, InventoryFormat format,
        InventorySchema schema, IReadOnlyList<InventoryDataFile> files)
    {
        Location = location;
        SourceBucket = sourceBucket;
        DestinationBucket = destinationBucket;
        CreatedUtc = createdUtc;
        Format = format;
        Schema = schema;
        Files = files;
    }

    /// <summary>Where the manifest was read (s3://bucket/key), for messages.</summary>
    public string Location { get; }

    /// <summary>The bucket the inventory lists.</summary>
    public string SourceBucket { get; }

    /// <summary>The bucket holding the data files (the name from the manifest's ARN).</summary>
    public string DestinationBucket { get; }

    /// <summary>When S3 began scanning the bucket for this inventory.</summary>
    public DateTime CreatedUtc { get; }

    public InventoryFormat Format { get; }

    public InventorySchema Schema { get; }

    public IReadOnlyList<InventoryDataFile> Files { get; }

    /// <summary>The prefix the inventory configuration is filtered to, when the manifest was found through it (null: unknown or none).</summary>
    public string? ConfigurationPrefix { get; private set; }

    /// <summary>This manifest, known to list only keys under <paramref name="prefix"/> (its configuration's filter).</summary>
    public InventoryManifest Covering(string? prefix)
    {
        ConfigurationPrefix = string.IsNullOrEmpty(prefix) ? null : prefix;
        return this;
    }

    /// <summary>An inventory of all versions (its schema has VersionId), not only the current ones.</summary>
    public bool HasVersions => Schema.Has(InventoryField.VersionId);

    public static InventoryManifest Parse(string json, string location)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException error)
        {
            throw Invalid(location, $"is not JSON ({error.Message})", error);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(location, "is not a JSON object");
        }
        var format = Text(root, "fileFormat", location) switch
        {
            "CSV" => InventoryFormat.Csv,
            "Parquet" => InventoryFormat.Parquet,
            "ORC" => throw new S3BackupException(ErrorId.InventoryUnsupported, ErrorCategory.NotImplemented,
                $"The inventory {location} is in ORC, which this module does not read: configure the inventory's output format as CSV or Parquet " +
                "(the next delivery uses it), or list the bucket instead.", location),
            var other => throw Invalid(location, $"has fileFormat '{other}' (AWS writes CSV, ORC or Parquet)"),
        };
        var fileSchema = Text(root, "fileSchema", location);
        var schema = format == InventoryFormat.Csv ? InventorySchema.FromCsv(fileSchema) : InventorySchema.FromParquet(fileSchema);
        if (!schema.Has(InventoryField.Key))
        {
            throw Invalid(location, $"has no Key column in its fileSchema '{fileSchema}'");
        }
        var created = Text(root, "creationTimestamp", location);
        if (!long.TryParse(created, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            throw Invalid(location, $"has creationTimestamp '{created}' (AWS writes milliseconds since 1970 as a string)");
        }
        if (!root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(location, "has no files array");
        }
        return new InventoryManifest(location, Text(root, "sourceBucket", location), BucketOfArn(Text(root, "destinationBucket", location)),
            Epoch.AddMilliseconds(milliseconds), format, schema, files.EnumerateArray().Select(file => DataFile(file, location)).ToList());
    }

    /// <summary>Refuses an inventory of another bucket than the one being planned.</summary>
    public void RequireSourceBucket(string bucket)
    {
        if (SourceBucket != bucket)
        {
            throw new S3BackupException(ErrorId.InventoryMismatch, ErrorCategory.InvalidArgument,
                $"The inventory {Location} lists s3://{SourceBucket}, not s3://{bucket}, the bucket being planned: give the inventory of s3://{bucket} " +
                $"(its manifests lie under <destination-prefix>/{bucket}/<configuration id>/ in the inventory's destination bucket).", Location);
        }
    }

    public static S3BackupException Invalid(string location, string what, Exception? inner = null) =>
        new(ErrorId.InventoryInvalid, ErrorCategory.InvalidData,
            $"The inventory manifest {location} {what}: it is not a manifest.json as S3 Inventory writes it. Give the manifest.json of a delivered inventory, " +
            "or the folder of its configuration (s3://<destination>/<prefix>/<source bucket>/<configuration id>/).", location, inner);

    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The bucket name of an S3 bucket ARN (arn:aws:s3:::name, any partition); a bare name as it is.</summary>
    private static string BucketOfArn(string arn)
    {
        var parts = arn.Split(':');
        return parts.Length == 6 && parts[0] == "arn" && parts[2] == "s3" ? parts[5] : arn;
    }

    private static InventoryDataFile DataFile(JsonElement file, string location)
    {
        if (file.ValueKind != JsonValueKind.Object || !file.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number)
        {
            throw Invalid(location, "lists a file without a key, size and MD5checksum");
        }
        var md5 = Text(file, "MD5checksum", location).ToLowerInvariant();
        if (md5.Length != 32 || !md5.All(Uri.IsHexDigit))
        {
            throw Invalid(location, $"lists a file whose MD5checksum '{md5}' is not an MD5");
        }
        return new InventoryDataFile(Text(file, "key", location), size.GetInt64(), md5);
    }

    private static string Text(JsonElement element, string name, string location) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw Invalid(location, $"has no {name}");
}
