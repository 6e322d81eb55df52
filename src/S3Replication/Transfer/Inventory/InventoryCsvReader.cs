using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Management.Automation;
using System.Text;
using S3Replication.Core;
using S3Replication.Records;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// Reads an inventory's CSV data file as S3 Inventory writes it: GZIP-compressed, no header row, one object per line,
/// the columns in the manifest's fileSchema order, every field quoted, keys URL-encoded (a space as '+'), dates in
/// ISO 8601, booleans as true/false, empty fields where a value does not apply (a delete marker's size).
/// </summary>
internal static class InventoryCsvReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IEnumerable<S3ObjectRecord> Read(Stream gzipped, InventorySchema schema, InventoryRecords records, string sourceBucket, string file)
    {
        using var text = new StreamReader(new GZipStream(gzipped, CompressionMode.Decompress), StrictUtf8, detectEncodingFromByteOrderMarks: false, 1 << 16);
        var columns = schema.Columns;
        var line = 0;
        while (ReadLine(text, file, line) is { } row)
        {
            line++;
            if (row.Length == 0)
            {
                continue;
            }
            var fields = CsvRow.Fields(row);
            if (fields.Count != columns.Count)
            {
                throw Invalid(file, line, $"has {fields.Count} fields where the manifest's fileSchema has {columns.Count}");
            }
            string? key = null, versionId = null, etag = null, storageClass = null, checksum = null;
            bool? isLatest = null, isDeleteMarker = null;
            long? size = null;
            DateTime? lastModified = null;
            for (var index = 0; index < columns.Count; index++)
            {
                var value = fields[index];
                switch (columns[index])
                {
                    case InventoryField.Bucket when value != sourceBucket:
                        throw Invalid(file, line, $"lists bucket '{value}' where the manifest says {sourceBucket}");
                    case InventoryField.Key:
                        key = DecodeKey(value, file, line);
                        break;
                    case InventoryField.VersionId:
                        versionId = value;
                        break;
                    case InventoryField.IsLatest:
                        isLatest = Boolean(value, file, line);
                        break;
                    case InventoryField.IsDeleteMarker:
                        isDeleteMarker = Boolean(value, file, line);
                        break;
                    case InventoryField.Size when value.Length > 0:
                        size = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes
                            : throw Invalid(file, line, $"has Size '{value}'");
                        break;
                    case InventoryField.LastModifiedDate when value.Length > 0:
                        lastModified = DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date)
                            ? date : throw Invalid(file, line, $"has LastModifiedDate '{value}'");
                        break;
                    case InventoryField.ETag:
                        etag = value;
                        break;
                    case InventoryField.StorageClass:
                        storageClass = value;
                        break;
                    case InventoryField.ChecksumAlgorithm:
                        checksum = value;
                        break;
                }
            }
            if (string.IsNullOrEmpty(key))
            {
                throw Invalid(file, line, "has no key");
            }
            yield return records.Create(key!, versionId, isLatest, isDeleteMarker, size, lastModified, etag, storageClass, checksum);
        }
    }

    /// <summary>
    /// A key as S3 Inventory URL-encodes it in CSV (form encoding: a space is '+', a '+' is %2B, UTF-8 bytes as %XX);
    /// anything that does not decode to UTF-8 is refused rather than guessed at.
    /// </summary>
    public static string DecodeKey(string encoded, string file, int line)
    {
        if (encoded.IndexOf('%') < 0 && encoded.IndexOf('+') < 0)
        {
            return encoded;
        }
        var bytes = new List<byte>(encoded.Length);
        for (var index = 0; index < encoded.Length; index++)
        {
            var character = encoded[index];
            if (character == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (character == '%')
            {
                if (index + 2 >= encoded.Length || !Uri.IsHexDigit(encoded[index + 1]) || !Uri.IsHexDigit(encoded[index + 2]))
                {
                    throw Invalid(file, line, $"has a key with a bad escape: '{encoded}'");
                }
                bytes.Add((byte)((Uri.FromHex(encoded[index + 1]) << 4) | Uri.FromHex(encoded[index + 2])));
                index += 2;
            }
            else
            {
                var length = char.IsHighSurrogate(character) && index + 1 < encoded.Length ? 2 : 1;
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded.Substring(index, length)));
                index += length - 1;
            }
        }
        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException error)
        {
            throw Invalid(file, line, $"has a key that is not UTF-8 once decoded: '{encoded}'", error);
        }
    }

    private static string? ReadLine(StreamReader text, string file, int line)
    {
        try
        {
            return text.ReadLine();
        }
        catch (Exception error) when (error is InvalidDataException or DecoderFallbackException)
        {
            throw Invalid(file, line + 1, $"cannot be read ({error.Message})", error);
        }
    }

    private static bool? Boolean(string value, string file, int line) => value.Length == 0 ? null
        : bool.TryParse(value, out var flag) ? flag
        : throw Invalid(file, line, $"has '{value}' where true or false belongs");

    private static S3BackupException Invalid(string file, int line, string what, Exception? inner = null) =>
        new(ErrorId.InventoryInvalid, ErrorCategory.InvalidData,
            $"Line {line} of the inventory file {file} {what}: it is not as S3 Inventory writes CSV. Check that the manifest is the one delivered with it, " +
            "or plan from a listing instead.", file, inner);
}
