using System;
using System.IO;
using S3Replication.Records;

namespace S3Replication.Transfer.Inventory;

/// <summary>
/// How a record is written in a sorted run (<see cref="RecordSorter"/>), compact: a flags byte (IsLatest, IsDeleteMarker, which optional fields
/// follow), the key, the size as a varint, then the optional fields (version id, ETag, ticks of LastModified,
/// storage class, checksum algorithm). The bucket is the listing's and is not written.
/// </summary>
internal sealed class RecordRun : IRunFormat<S3ObjectRecord>
{
    private const byte Latest = 1, DeleteMarker = 2, HasVersion = 4, HasETag = 8, HasModified = 16, HasStorageClass = 32, HasChecksum = 64;

    private readonly string _bucket;

    /// <param name="bucket">The bucket every record read back is of.</param>
    public RecordRun(string bucket) => _bucket = bucket;

    public void Write(BinaryWriter writer, S3ObjectRecord record)
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

    public S3ObjectRecord Read(BinaryReader reader)
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
        return new S3ObjectRecord
        {
            Bucket = _bucket,
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

    /// <summary>An optional string: written only where present (a flag says which are).</summary>
    public static void WriteIf(BinaryWriter writer, string? value)
    {
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    public static string? ReadIf(BinaryReader reader, byte flags, byte flag) => (flags & flag) != 0 ? reader.ReadString() : null;
}
