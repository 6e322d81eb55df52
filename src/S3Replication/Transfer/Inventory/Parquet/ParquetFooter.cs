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
        ThriftCompactReader.Fill(file, tail, "the file");
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
        ThriftCompactReader.Fill(file, metadata, "the file");
        return Parse(new ThriftCompactReader(new MemoryStream(metadata)));
    }

    /// <summary>FileMetaData: 2 schema (SchemaElement list), 4 row_groups.</summary>
    private static ParquetFooter Parse(ThriftCompactReader thrift)
    {
        var elements = new List<(string Name, int? Type, int Repetition, int Children, int? Converted, long? TimestampUnit)>();
        var rowGroups = new List<RowGroup>();
        thrift.ReadStruct((id, type) => (id, type) switch
        {
            (2, ThriftCompactReader.List) => Done(() => thrift.ReadList(() => elements.Add(SchemaElement(thrift)))),
            (4, ThriftCompactReader.List) => Done(() => thrift.ReadList(() => rowGroups.Add(ReadRowGroup(thrift)))),
            _ => false,
        });
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

    /// <summary>Runs <paramref name="read"/>: a field taken.</summary>
    private static bool Done(Action read)
    {
        read();
        return true;
    }

    /// <summary>SchemaElement: 1 type, 3 repetition_type, 4 name, 5 num_children, 6 converted_type, 10 logicalType.</summary>
    private static (string, int?, int, int, int?, long?) SchemaElement(ThriftCompactReader thrift)
    {
        string name = "";
        int? physical = null, converted = null;
        int repetition = 0, children = 0;
        long? timestampUnit = null;
        thrift.ReadStruct((id, type) => (id, type) switch
        {
            (1, ThriftCompactReader.I32) => Done(() => physical = thrift.ReadI32()),
            (3, ThriftCompactReader.I32) => Done(() => repetition = thrift.ReadI32()),
            (4, ThriftCompactReader.Binary) => Done(() => name = thrift.ReadString()),
            (5, ThriftCompactReader.I32) => Done(() => children = thrift.ReadI32()),
            (6, ThriftCompactReader.I32) => Done(() => converted = thrift.ReadI32()),
            (10, ThriftCompactReader.Struct) => Done(() => timestampUnit = TimestampUnitOfLogicalType(thrift)),
            _ => false,
        });
        return (name, physical, repetition, children, converted, timestampUnit);
    }

    /// <summary>LogicalType is a union; member 8 is TIMESTAMP (1 isAdjustedToUTC, 2 unit: 1 MILLIS, 2 MICROS, 3 NANOS). The unit in nanoseconds.</summary>
    private static long? TimestampUnitOfLogicalType(ThriftCompactReader thrift)
    {
        long? unit = null;
        thrift.ReadStruct((member, memberType) => member == 8 && memberType == ThriftCompactReader.Struct && Done(() =>
            thrift.ReadStruct((field, fieldType) => field == 2 && fieldType == ThriftCompactReader.Struct && Done(() =>
                thrift.ReadStruct((which, _) =>
                {
                    unit = which switch { 1 => 1_000_000L, 2 => 1_000L, 3 => 1L, _ => unit };
                    return false;
                })))));
        return unit;
    }

    /// <summary>RowGroup: 1 columns (ColumnChunk: 1 file_path, which S3 never sets; 3 meta_data), 3 num_rows.</summary>
    private static RowGroup ReadRowGroup(ThriftCompactReader thrift)
    {
        var chunks = new List<Chunk>();
        long rows = 0;
        thrift.ReadStruct((id, type) => (id, type) switch
        {
            (1, ThriftCompactReader.List) => Done(() => thrift.ReadList(() =>
            {
                Chunk? chunk = null;
                thrift.ReadStruct((field, fieldType) => (field, fieldType) switch
                {
                    (1, ThriftCompactReader.Binary) => throw new NotSupportedException("its columns lie in other files"),
                    (3, ThriftCompactReader.Struct) => Done(() => chunk = ReadColumnMetaData(thrift)),
                    _ => false,
                });
                chunks.Add(chunk ?? throw new InvalidDataException("a column chunk has no metadata"));
            })),
            (3, ThriftCompactReader.I64) => Done(() => rows = thrift.ReadI64()),
            _ => false,
        });
        return new RowGroup(rows, chunks);
    }

    /// <summary>ColumnMetaData: 1 type, 4 codec, 5 num_values, 7 total_compressed_size, 9 data_page_offset, 11 dictionary_page_offset.</summary>
    private static Chunk ReadColumnMetaData(ThriftCompactReader thrift)
    {
        int physical = 0, codec = 0;
        long values = 0, compressed = 0, dataPage = 0;
        long? dictionaryPage = null;
        thrift.ReadStruct((id, type) => (id, type) switch
        {
            (1, ThriftCompactReader.I32) => Done(() => physical = thrift.ReadI32()),
            (4, ThriftCompactReader.I32) => Done(() => codec = thrift.ReadI32()),
            (5, ThriftCompactReader.I64) => Done(() => values = thrift.ReadI64()),
            (7, ThriftCompactReader.I64) => Done(() => compressed = thrift.ReadI64()),
            (9, ThriftCompactReader.I64) => Done(() => dataPage = thrift.ReadI64()),
            (11, ThriftCompactReader.I64) => Done(() => dictionaryPage = thrift.ReadI64()),
            _ => false,
        });
        // Some writers set dictionary_page_offset to 0 when there is none; a dictionary page always comes first.
        var start = dictionaryPage is { } offset && offset > 0 && offset < dataPage ? offset : dataPage;
        return new Chunk((PhysicalType)physical, (Codec)codec, values, start, compressed);
    }
}
