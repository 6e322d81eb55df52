using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using S3Replication.Core;
using S3Replication.Records;
using S3Replication.Transfer.Inventory.Parquet;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// Reads an inventory's Parquet data file as S3 Inventory writes it (a flat message s3.inventory, Snappy-compressed):
/// the columns are found by name in the file's own schema (bucket, key, version_id, is_latest, is_delete_marker,
/// size, last_modified_date, e_tag, storage_class, checksum_algorithm), keys as they are (not URL-encoded), one page
/// per column in memory at a time.
/// </summary>
internal static class InventoryParquetReader
{
    public static IEnumerable<S3ObjectRecord> Read(string path, InventoryRecords records, string sourceBucket, string file)
    {
        ParquetFooter footer;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            footer = ParquetFooter.Read(stream);
        }
        catch (Exception error) when (error is InvalidDataException or NotSupportedException or EndOfStreamException or OverflowException)
        {
            throw Refused(file, error);
        }
        var wanted = footer.Columns.Select((column, index) => (Field: InventorySchema.FieldNamed(column.Name), Index: index))
            .Where(column => column.Field != InventoryField.Other).ToList();
        if (!wanted.Any(column => column.Field == InventoryField.Key))
        {
            throw Refused(file, new InvalidDataException("it has no key column"));
        }
        foreach (var group in footer.RowGroups)
        {
            var cursors = new List<(InventoryField Field, ParquetColumnCursor Cursor, ParquetFooter.Column Column)>();
            try
            {
                foreach (var (field, index) in wanted)
                {
                    cursors.Add((field, new ParquetColumnCursor(path, footer.Columns[index], group.Chunks[index]), footer.Columns[index]));
                }
                for (long row = 0; row < group.RowCount; row++)
                {
                    S3ObjectRecord record;
                    try
                    {
                        record = Row(cursors, records, sourceBucket);
                    }
                    catch (Exception error) when (error is InvalidDataException or NotSupportedException or EndOfStreamException or OverflowException
                        or ArgumentOutOfRangeException)
                    {
                        throw Refused(file, error);
                    }
                    yield return record;
                }
            }
            finally
            {
                foreach (var (_, cursor, _) in cursors)
                {
                    cursor.Dispose();
                }
            }
        }
    }

    private static S3ObjectRecord Row(List<(InventoryField Field, ParquetColumnCursor Cursor, ParquetFooter.Column Column)> cursors, InventoryRecords records,
        string sourceBucket)
    {
        string? key = null, versionId = null, etag = null, storageClass = null, checksum = null;
        bool? isLatest = null, isDeleteMarker = null;
        long? size = null;
        DateTime? lastModified = null;
        foreach (var (field, cursor, column) in cursors)
        {
            cursor.MoveNext();
            switch (field)
            {
                case InventoryField.Bucket when Text(cursor, column) is { } bucket && bucket != sourceBucket:
                    throw new InvalidDataException($"it lists bucket '{bucket}' where the manifest says {sourceBucket}");
                case InventoryField.Key:
                    key = Text(cursor, column);
                    break;
                case InventoryField.VersionId:
                    versionId = Text(cursor, column);
                    break;
                case InventoryField.IsLatest:
                    isLatest = Flag(cursor, column);
                    break;
                case InventoryField.IsDeleteMarker:
                    isDeleteMarker = Flag(cursor, column);
                    break;
                case InventoryField.Size:
                    size = Number(cursor, column);
                    break;
                case InventoryField.LastModifiedDate:
                    lastModified = column.TimestampNanos is null
                        ? throw new NotSupportedException($"its column {column.Name} is not a timestamp in INT64")
                        : Number(cursor, column) is { } value ? column.Timestamp(value) : null;
                    break;
                case InventoryField.ETag:
                    etag = Text(cursor, column);
                    break;
                case InventoryField.StorageClass:
                    storageClass = Text(cursor, column);
                    break;
                case InventoryField.ChecksumAlgorithm:
                    checksum = Text(cursor, column);
                    break;
            }
        }
        return string.IsNullOrEmpty(key)
            ? throw new InvalidDataException("a row has no key")
            : records.Create(key!, versionId, isLatest, isDeleteMarker, size, lastModified, etag, storageClass, checksum);
    }

    private static string? Text(ParquetColumnCursor cursor, ParquetFooter.Column column) =>
        column.Type == ParquetFooter.PhysicalType.ByteArray ? cursor.Text : throw Unexpected(column, "text");

    private static long? Number(ParquetColumnCursor cursor, ParquetFooter.Column column) =>
        column.Type is ParquetFooter.PhysicalType.Int64 or ParquetFooter.PhysicalType.Int32 ? cursor.Number : throw Unexpected(column, "an integer");

    private static bool? Flag(ParquetColumnCursor cursor, ParquetFooter.Column column) =>
        column.Type == ParquetFooter.PhysicalType.Boolean ? cursor.Flag : throw Unexpected(column, "a boolean");

    private static NotSupportedException Unexpected(ParquetFooter.Column column, string expected) =>
        new($"its column {column.Name} is {column.Type} where S3 Inventory writes {expected}");

    private static S3BackupException Refused(string file, Exception error) => error is NotSupportedException
        ? new S3BackupException(ErrorId.InventoryUnsupported, ErrorCategory.NotImplemented,
            $"The inventory file {file} is Parquet this module does not read: {error.Message}. Configure the inventory's output format as CSV " +
            "(the next delivery uses it), or plan from a listing instead.", file, error)
        : new S3BackupException(ErrorId.InventoryInvalid, ErrorCategory.InvalidData,
            $"The inventory file {file} is not Parquet as S3 Inventory writes it: {error.Message}. Check that the manifest is the one delivered with it, " +
            "or plan from a listing instead.", file, error);
}
