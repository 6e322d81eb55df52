using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using Parquet;
using Parquet.Schema;
using S3Replication.Records;

namespace S3Replication.Tests.Transfer.Inventory;

/// <summary>
/// Writes inventories as S3 Inventory delivers them (the user guide's "Amazon S3 Inventory list" and "Inventory
/// manifest"): gzip CSV with every field quoted, keys form-URL-encoded, ETags bare, a null version's id empty; Parquet
/// with the message s3.inventory schema, Snappy-compressed; manifest.json with each file's size and MD5, and its
/// manifest.checksum.
/// </summary>
internal static class InventoryFiles
{
    public const string VersionsSchema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, " +
        "ReplicationStatus, EncryptionStatus, ChecksumAlgorithm";

    public const string CurrentSchema = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, EncryptionStatus, ChecksumAlgorithm";

    public static string Md5(byte[] bytes) => Convert.ToHexString(MD5.HashData(bytes)).ToLowerInvariant();

    /// <summary>Form URL encoding as Java's URLEncoder writes it: a space as '+', UTF-8 bytes as %XX, '/' encoded too.</summary>
    public static string EncodeKey(string key)
    {
        var text = new StringBuilder();
        foreach (var value in Encoding.UTF8.GetBytes(key))
        {
            var character = (char)value;
            if (character is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '-' or '*' or '_')
            {
                text.Append(character);
            }
            else if (character == ' ')
            {
                text.Append('+');
            }
            else
            {
                text.Append('%').Append(value.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    /// <summary>One CSV data file in the columns of <paramref name="schema"/> (a manifest's fileSchema).</summary>
    public static byte[] Csv(string bucket, string schema, IEnumerable<S3ObjectRecord> records)
    {
        var columns = schema.Split(',').Select(name => name.Trim()).ToList();
        var text = new StringBuilder();
        foreach (var record in records)
        {
            var fields = columns.Select(column => column switch
            {
                "Bucket" => bucket,
                "Key" => EncodeKey(record.Key),
                "VersionId" => record.VersionId is null or "null" ? "" : record.VersionId,
                "IsLatest" => record.IsLatest ? "true" : "false",
                "IsDeleteMarker" => record.IsDeleteMarker ? "true" : "false",
                "Size" => record.IsDeleteMarker ? "" : record.Size.ToString(CultureInfo.InvariantCulture),
                "LastModifiedDate" => record.LastModified?.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) ?? "",
                "ETag" => record.ETag?.Trim('"') ?? "",
                "StorageClass" => record.StorageClass ?? "",
                "IsMultipartUploaded" => record.IsDeleteMarker ? "" : "false",
                "ReplicationStatus" => "",
                "EncryptionStatus" => record.IsDeleteMarker ? "" : "SSE-S3",
                "ChecksumAlgorithm" => record.ChecksumAlgorithm ?? "",
                _ => throw new ArgumentException(column),
            });
            text.Append(string.Join(",", fields.Select(field => "\"" + field.Replace("\"", "\"\"") + "\""))).Append('\n');
        }
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            gzip.Write(bytes);
        }
        return output.ToArray();
    }

    /// <summary>The fileSchema of a Parquet manifest, as the user guide shows it.</summary>
    public static string ParquetSchemaText(bool versions) =>
        "message s3.inventory { required binary bucket (STRING); required binary key (STRING); " +
        (versions ? "optional binary version_id (STRING); optional boolean is_latest; optional boolean is_delete_marker; " : "") +
        "optional int64 size; optional int64 last_modified_date (TIMESTAMP(MILLIS,true)); optional binary e_tag (STRING); " +
        "optional binary storage_class (STRING); optional boolean is_multipart_uploaded; optional binary checksum_algorithm (STRING);}";

    /// <summary>One Parquet data file with S3 Inventory's columns, in row groups of <paramref name="rowGroup"/> rows.</summary>
    public static byte[] Parquet(string bucket, bool versions, IReadOnlyList<S3ObjectRecord> records, CompressionMethod compression = CompressionMethod.Snappy,
        int rowGroup = 50)
    {
        var fields = new List<DataField>
        {
            new DataField<string>("bucket", nullable: false),
            new DataField<string>("key", nullable: false),
        };
        if (versions)
        {
            fields.Add(new DataField<string>("version_id", nullable: true));
            fields.Add(new DataField<bool?>("is_latest"));
            fields.Add(new DataField<bool?>("is_delete_marker"));
        }
        fields.Add(new DataField<long?>("size"));
        fields.Add(new DateTimeDataField("last_modified_date", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis, isNullable: true));
        fields.Add(new DataField<string>("e_tag", nullable: true));
        fields.Add(new DataField<string>("storage_class", nullable: true));
        fields.Add(new DataField<bool?>("is_multipart_uploaded"));
        fields.Add(new DataField<string>("checksum_algorithm", nullable: true));
        var schema = new ParquetSchema(fields);
        using var output = new MemoryStream();
        Task.Run(async () =>
        {
            // Text columns dictionary-encoded, as S3's writer does for repeated values; keys plain.
            var options = new ParquetOptions { CompressionMethod = compression };
            foreach (var name in new[] { "bucket", "version_id", "e_tag", "storage_class", "checksum_algorithm" })
            {
                options.ColumnEncodingHints[name] = EncodingHint.Dictionary;
            }
            await using var writer = await ParquetWriter.CreateAsync(schema, output, options);
            foreach (var group in records.Chunk(rowGroup))
            {
                using var rows = writer.CreateRowGroup();
                async Task Text(string name, Func<S3ObjectRecord, string?> value) =>
                    await rows.WriteAsync(schema.FindDataField(name), group.Select(value).ToArray());
                async Task Value<T>(string name, Func<S3ObjectRecord, T?> value) where T : struct =>
                    await rows.WriteAsync(schema.FindDataField(name), new ReadOnlyMemory<T?>(group.Select(value).ToArray()));
                await Text("bucket", _ => bucket);
                await Text("key", record => record.Key);
                if (versions)
                {
                    await Text("version_id", record => record.VersionId is null or "null" ? null : record.VersionId);
                    await Value("is_latest", record => (bool?)record.IsLatest);
                    await Value("is_delete_marker", record => (bool?)record.IsDeleteMarker);
                }
                await Value("size", record => record.IsDeleteMarker ? null : (long?)record.Size);
                await Value("last_modified_date", record => record.LastModified);
                await Text("e_tag", record => record.ETag?.Trim('"'));
                await Text("storage_class", record => record.StorageClass);
                await Value("is_multipart_uploaded", record => record.IsDeleteMarker ? null : (bool?)false);
                await Text("checksum_algorithm", record => record.ChecksumAlgorithm);
            }
        }).GetAwaiter().GetResult();
        return output.ToArray();
    }

    /// <summary>A manifest.json as S3 writes it, listing <paramref name="files"/> (key, bytes) with their sizes and MD5s.</summary>
    public static string Manifest(string sourceBucket, string destinationBucket, string format, string schema, DateTime created,
        IEnumerable<(string Key, byte[] Bytes)> files) =>
        $$"""
        {
          "sourceBucket" : "{{sourceBucket}}",
          "destinationBucket" : "arn:aws:s3:::{{destinationBucket}}",
          "version" : "2016-11-30",
          "creationTimestamp" : "{{new DateTimeOffset(created).ToUnixTimeMilliseconds()}}",
          "fileFormat" : "{{format}}",
          "fileSchema" : "{{schema}}",
          "files" : [ {{string.Join(", ", files.Select(file => $$"""{ "key" : "{{file.Key}}", "size" : {{file.Bytes.Length}}, "MD5checksum" : "{{Md5(file.Bytes)}}" }"""))}} ]
        }
        """;
}
