using System;
using System.Collections.Generic;
using System.IO;
using S3Replication.Records;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// A sorted run of records in a temporary file, compact: a flags byte (IsLatest, IsDeleteMarker, which optional fields
/// follow), the key, the size as a varint, then the optional fields (version id, ETag, ticks of LastModified,
/// storage class, checksum algorithm). The bucket is the listing's and is not written.
/// </summary>
internal static class RecordRun
{
    private const byte Latest = 1, DeleteMarker = 2, HasVersion = 4, HasETag = 8, HasModified = 16, HasStorageClass = 32, HasChecksum = 64;

    private const int Buffer = 1 << 16;

    public static void Write(string path, IEnumerable<S3ObjectRecord> records)
    {
        using var writer = new BinaryWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, Buffer));
        foreach (var record in records)
        {
            var flags = (byte)((record.IsLatest ? Latest : 0) | (record.IsDeleteMarker ? DeleteMarker : 0) | (record.VersionId is null ? 0 : HasVersion)
                | (record.ETag is null ? 0 : HasETag) | (record.LastModified is null ? 0 : HasModified) | (record.StorageClass is null ? 0 : HasStorageClass)
                | (record.ChecksumAlgorithm is null ? 0 : HasChecksum));
            writer.Write(flags);
            writer.Write(record.Key);
            for (var size = (ulong)record.Size; ; size >>= 7)
            {
                if (size < 0x80)
                {
                    writer.Write((byte)size);
                    break;
                }
                writer.Write((byte)(size | 0x80));
            }
            WriteIf(writer, record.VersionId);
            WriteIf(writer, record.ETag);
            if (record.LastModified is { } modified)
            {
                writer.Write(modified.Ticks);
            }
            WriteIf(writer, record.StorageClass);
            WriteIf(writer, record.ChecksumAlgorithm);
        }
    }

    /// <summary>The run's records in the order written; the file stays open until the enumeration ends.</summary>
    public static IEnumerable<S3ObjectRecord> Read(string path, string bucket)
    {
        using var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, Buffer));
        var stream = reader.BaseStream;
        while (stream.Position < stream.Length)
        {
            var flags = reader.ReadByte();
            var key = reader.ReadString();
            ulong size = 0;
            for (var shift = 0; ; shift += 7)
            {
                var next = reader.ReadByte();
                size |= (ulong)(next & 0x7F) << shift;
                if ((next & 0x80) == 0)
                {
                    break;
                }
            }
            yield return new S3ObjectRecord
            {
                Bucket = bucket,
                Key = key,
                Size = (long)size,
                IsLatest = (flags & Latest) != 0,
                IsDeleteMarker = (flags & DeleteMarker) != 0,
                VersionId = ReadIf(reader, flags, HasVersion),
                ETag = ReadIf(reader, flags, HasETag),
                LastModified = (flags & HasModified) != 0 ? new DateTime(reader.ReadInt64(), DateTimeKind.Utc) : null,
                StorageClass = ReadIf(reader, flags, HasStorageClass),
                ChecksumAlgorithm = ReadIf(reader, flags, HasChecksum),
            };
        }
    }

    private static void WriteIf(BinaryWriter writer, string? value)
    {
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadIf(BinaryReader reader, byte flags, byte flag) => (flags & flag) != 0 ? reader.ReadString() : null;
}
