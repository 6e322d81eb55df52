using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace S3Replication.Transfer.Inventory.Parquet;

/// <summary>
/// What a Parquet file's footer (FileMetaData, Thrift compact) says that a flat table needs: its columns (physical
/// type, required or optional, timestamp unit) and its row groups with each column chunk's place, codec and count.
/// Nested schemas are refused: S3 Inventory writes one flat message.
/// </summary>
internal sealed class ParquetFooter
{
    public enum PhysicalType { Boolean = 0, Int32 = 1, Int64 = 2, Int96 = 3, Float = 4, Double = 5, ByteArray = 6, FixedLenByteArray = 7 }

    public enum Codec { Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4 = 5, Zstd = 6, Lz4Raw = 7 }

    /// <summary>A leaf column; <see cref="TimestampNanos"/> is the unit of an INT64 timestamp in nanoseconds (millis, micros or nanos).</summary>
    public sealed record Column(string Name, PhysicalType Type, bool Optional, long? TimestampNanos)
    {
        /// <summary>An INT64 timestamp of this column as UTC.</summary>
        public DateTime Timestamp(long value) => Epoch.AddTicks(TimestampNanos is >= 100 and { } nanos ? value * (nanos / 100) : value / (100 / (TimestampNanos ?? 100)));
    }

    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public sealed record Chunk(PhysicalType Type, Codec Codec, long ValueCount, long Start, long CompressedSize);

    public sealed record RowGroup(long RowCount, IReadOnlyList<Chunk> Chunks);

    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("PAR1");

    private ParquetFooter(IReadOnlyList<Column> columns, IReadOnlyList<RowGroup> rowGroups)
    {
        Columns = columns;
        RowGroups = rowGroups;
    }

    public IReadOnlyList<Column> Columns { get; }

    public IReadOnlyList<RowGroup> RowGroups { get; }

    public static ParquetFooter Read(Stream file)
    {
        var tail = new byte[8];
        if (file.Length < 12)
        {
            throw new InvalidDataException("too short to be Parquet");
        }
        file.Seek(-8, SeekOrigin.End);
        Fill(file, tail);
        if (!tail.Skip(4).SequenceEqual(Magic))
        {
            throw new InvalidDataException("no PAR1 at its end: not a Parquet file, or an encrypted one");
        }
        var length = BitConverter.ToInt32(tail, 0);
        if (length <= 0 || length > file.Length - 12)
        {
            throw new InvalidDataException("its footer length is out of range");
        }
        var metadata = new byte[length];
        file.Seek(-8 - length, SeekOrigin.End);
        Fill(file, metadata);
        return Parse(new ThriftCompactReader(new MemoryStream(metadata)));
    }

    private static ParquetFooter Parse(ThriftCompactReader thrift)
    {
        var elements = new List<(string Name, int? Type, int Repetition, int Children, int? Converted, long? TimestampUnit)>();
        var rowGroups = new List<RowGroup>();
        thrift.BeginStruct();
        for (var field = thrift.NextField(); field.Type != ThriftCompactReader.Stop; field = thrift.NextField())
        {
            switch (field.Id)
            {
                case 2 when field.Type == ThriftCompactReader.List:
                    var (_, count) = thrift.BeginList();
                    for (var index = 0; index < count; index++)
                    {
                        elements.Add(SchemaElement(thrift));
                    }
                    break;
                case 4 when field.Type == ThriftCompactReader.List:
                    var (_, groups) = thrift.BeginList();
                    for (var index = 0; index < groups; index++)
                    {
                        rowGroups.Add(ReadRowGroup(thrift));
                    }
                    break;
                default:
                    thrift.Skip(field.Type);
                    break;
            }
        }
        thrift.EndStruct();
        if (elements.Count == 0 || elements.Skip(1).Any(element => element.Children > 0 || element.Type is null) || elements[0].Children != elements.Count - 1)
        {
            throw new NotSupportedException("its schema is nested (S3 Inventory writes one flat message)");
        }
        if (elements.Skip(1).Any(element => element.Repetition == 2))
        {
            throw new NotSupportedException("its schema has repeated fields (S3 Inventory writes none)");
        }
        var columns = elements.Skip(1).Select(element =>
        {
            // The logical type's unit; TIMESTAMP_MILLIS and TIMESTAMP_MICROS as converted types (older writers).
            var unit = element.TimestampUnit ?? element.Converted switch { 9 => 1_000_000L, 10 => 1_000L, _ => (long?)null };
            return new Column(element.Name, (PhysicalType)element.Type!.Value, element.Repetition == 1, unit);
        }).ToList();
        if (rowGroups.Any(group => group.Chunks.Count != columns.Count))
        {
            throw new InvalidDataException("a row group's column count differs from the schema's");
        }
        return new ParquetFooter(columns, rowGroups);
    }

    /// <summary>SchemaElement: 1 type, 3 repetition_type, 4 name, 5 num_children, 6 converted_type, 10 logicalType.</summary>
    private static (string, int?, int, int, int?, long?) SchemaElement(ThriftCompactReader thrift)
    {
        string name = "";
        int? type = null, converted = null;
        int repetition = 0, children = 0;
        long? timestampUnit = null;
        thrift.BeginStruct();
        for (var field = thrift.NextField(); field.Type != ThriftCompactReader.Stop; field = thrift.NextField())
        {
            switch (field.Id)
            {
                case 1 when field.Type == ThriftCompactReader.I32:
                    type = thrift.ReadI32();
                    break;
                case 3 when field.Type == ThriftCompactReader.I32:
                    repetition = thrift.ReadI32();
                    break;
                case 4 when field.Type == ThriftCompactReader.Binary:
                    name = thrift.ReadString();
                    break;
                case 5 when field.Type == ThriftCompactReader.I32:
                    children = thrift.ReadI32();
                    break;
                case 6 when field.Type == ThriftCompactReader.I32:
                    converted = thrift.ReadI32();
                    break;
                case 10 when field.Type == ThriftCompactReader.Struct:
                    timestampUnit = TimestampUnitOfLogicalType(thrift);
                    break;
                default:
                    thrift.Skip(field.Type);
                    break;
            }
        }
        thrift.EndStruct();
        return (name, type, repetition, children, converted, timestampUnit);
    }

    /// <summary>LogicalType is a union; member 8 is TIMESTAMP (1 isAdjustedToUTC, 2 unit: 1 MILLIS, 2 MICROS, 3 NANOS). The unit in nanoseconds.</summary>
    private static long? TimestampUnitOfLogicalType(ThriftCompactReader thrift)
    {
        long? unit = null;
        thrift.BeginStruct();
        for (var member = thrift.NextField(); member.Type != ThriftCompactReader.Stop; member = thrift.NextField())
        {
            if (member.Id != 8 || member.Type != ThriftCompactReader.Struct)
            {
                thrift.Skip(member.Type);
                continue;
            }
            thrift.BeginStruct();
            for (var field = thrift.NextField(); field.Type != ThriftCompactReader.Stop; field = thrift.NextField())
            {
                if (field.Id != 2 || field.Type != ThriftCompactReader.Struct)
                {
                    thrift.Skip(field.Type);
                    continue;
                }
                thrift.BeginStruct();
                for (var which = thrift.NextField(); which.Type != ThriftCompactReader.Stop; which = thrift.NextField())
                {
                    unit = which.Id switch { 1 => 1_000_000L, 2 => 1_000L, 3 => 1L, _ => unit };
                    thrift.Skip(which.Type);
                }
                thrift.EndStruct();
            }
            thrift.EndStruct();
        }
        thrift.EndStruct();
        return unit;
    }

    /// <summary>RowGroup: 1 columns (ColumnChunk: 3 meta_data), 3 num_rows.</summary>
    private static RowGroup ReadRowGroup(ThriftCompactReader thrift)
    {
        var chunks = new List<Chunk>();
        long rows = 0;
        thrift.BeginStruct();
        for (var field = thrift.NextField(); field.Type != ThriftCompactReader.Stop; field = thrift.NextField())
        {
            switch (field.Id)
            {
                case 1 when field.Type == ThriftCompactReader.List:
                    var (_, count) = thrift.BeginList();
                    for (var index = 0; index < count; index++)
                    {
                        chunks.Add(ReadColumnChunk(thrift));
                    }
                    break;
                case 3 when field.Type == ThriftCompactReader.I64:
                    rows = thrift.ReadI64();
                    break;
                default:
                    thrift.Skip(field.Type);
                    break;
            }
        }
        thrift.EndStruct();
        return new RowGroup(rows, chunks);
    }

    private static Chunk ReadColumnChunk(ThriftCompactReader thrift)
    {
        Chunk? chunk = null;
        thrift.BeginStruct();
        for (var field = thrift.NextField(); field.Type != ThriftCompactReader.Stop; field = thrift.NextField())
        {
            if (field.Id == 1 && field.Type == ThriftCompactReader.Binary)
            {
                throw new NotSupportedException("its columns lie in other files");
            }
            if (field.Id == 3 && field.Type == ThriftCompactReader.Struct)
            {
                chunk = ReadColumnMetaData(thrift);
            }
            else
            {
                thrift.Skip(field.Type);
            }
        }
        thrift.EndStruct();
        return chunk ?? throw new InvalidDataException("a column chunk has no metadata");
    }

    /// <summary>ColumnMetaData: 1 type, 4 codec, 5 num_values, 7 total_compressed_size, 9 data_page_offset, 11 dictionary_page_offset.</summary>
    private static Chunk ReadColumnMetaData(ThriftCompactReader thrift)
    {
        int type = 0, codec = 0;
        long values = 0, compressed = 0, dataPage = 0;
        long? dictionaryPage = null;
        thrift.BeginStruct();
        for (var field = thrift.NextField(); field.Type != ThriftCompactReader.Stop; field = thrift.NextField())
        {
            switch (field.Id)
            {
                case 1 when field.Type == ThriftCompactReader.I32:
                    type = thrift.ReadI32();
                    break;
                case 4 when field.Type == ThriftCompactReader.I32:
                    codec = thrift.ReadI32();
                    break;
                case 5 when field.Type == ThriftCompactReader.I64:
                    values = thrift.ReadI64();
                    break;
                case 7 when field.Type == ThriftCompactReader.I64:
                    compressed = thrift.ReadI64();
                    break;
                case 9 when field.Type == ThriftCompactReader.I64:
                    dataPage = thrift.ReadI64();
                    break;
                case 11 when field.Type == ThriftCompactReader.I64:
                    dictionaryPage = thrift.ReadI64();
                    break;
                default:
                    thrift.Skip(field.Type);
                    break;
            }
        }
        thrift.EndStruct();
        // Some writers set dictionary_page_offset to 0 when there is none; a dictionary page always comes first.
        var start = dictionaryPage is { } offset && offset > 0 && offset < dataPage ? offset : dataPage;
        return new Chunk((PhysicalType)type, (Codec)codec, values, start, compressed);
    }

    private static void Fill(Stream file, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var count = file.Read(buffer, read, buffer.Length - read);
            if (count == 0)
            {
                throw new EndOfStreamException("the file ends early");
            }
            read += count;
        }
    }
}
