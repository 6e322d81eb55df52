using System;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace S3Replication.Transfer.Inventory.Parquet;

/// <summary>
/// Reads one column chunk value by value, holding one page (and the chunk's dictionary) at a time: data pages of the
/// first version, values PLAIN or dictionary-encoded (PLAIN_DICTIONARY, RLE_DICTIONARY), definition levels RLE,
/// pages uncompressed, Snappy or GZIP. Other layouts are refused by name, never guessed at.
/// </summary>
internal sealed class ParquetColumnCursor : IDisposable
{
    private const int DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3;
    private const int Plain = 0, PlainDictionary = 2, Rle = 3, RleDictionary = 8;

    private readonly FileStream _file;
    private readonly ParquetFooter.Column _column;
    private readonly ParquetFooter.Chunk _chunk;
    private long _valuesLeftInChunk;

    private string?[]? _dictionaryText;
    private long[]? _dictionaryNumbers;

    // The current page: one entry per value, nulls included.
    private bool[] _present = Array.Empty<bool>();
    private string?[] _text = Array.Empty<string?>();
    private long[] _numbers = Array.Empty<long>();
    private bool[] _flags = Array.Empty<bool>();
    private int _pageCount;
    private int _index = -1;

    public ParquetColumnCursor(string path, ParquetFooter.Column column, ParquetFooter.Chunk chunk)
    {
        _column = column;
        _chunk = chunk;
        _valuesLeftInChunk = chunk.ValueCount;
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        _file.Seek(chunk.Start, SeekOrigin.Begin);
    }

    public string? Text => _present[_index] ? _text[_index] : null;
    public long? Number => _present[_index] ? _numbers[_index] : null;
    public bool? Flag => _present[_index] ? _flags[_index] : null;

    public void MoveNext()
    {
        if (++_index < _pageCount)
        {
            return;
        }
        while (true)
        {
            if (_valuesLeftInChunk <= 0)
            {
                throw new InvalidDataException($"column {_column.Name} has fewer values than its row group has rows");
            }
            if (ReadPage())
            {
                _index = 0;
                return;
            }
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Reads the next page; true when it was a data page (now current), false for a dictionary or index page.</summary>
    private bool ReadPage()
    {
        var header = PageHeader.Read(new ThriftCompactReader(_file));
        var body = new byte[header.CompressedSize];
        ThriftCompactReader.Fill(_file, body, $"column {_column.Name}");
        if (header.Type == IndexPage)
        {
            return false;
        }
        if (header.Type == DataPageV2)
        {
            throw new NotSupportedException($"column {_column.Name} is written in data pages of version 2");
        }
        var page = Decompress(body, header.UncompressedSize);
        if (header.Type == DictionaryPage)
        {
            if (header.Encoding is not (Plain or PlainDictionary))
            {
                throw new NotSupportedException($"column {_column.Name} has a dictionary in encoding {header.Encoding}");
            }
            var reader = new PlainValues(page, 0, page.Length);
            if (_column.Type == ParquetFooter.PhysicalType.ByteArray)
            {
                _dictionaryText = ReadMany<string?>(header.ValueCount, reader.Text);
            }
            else
            {
                _dictionaryNumbers = ReadMany(header.ValueCount, () => reader.Number(_column.Type));
            }
            return false;
        }
        if (header.Type != DataPage)
        {
            throw new InvalidDataException($"column {_column.Name} has a page of unknown type {header.Type}");
        }
        DecodeDataPage(page, header);
        _valuesLeftInChunk -= header.ValueCount;
        return true;
    }

    private void DecodeDataPage(byte[] page, PageHeader header)
    {
        var count = header.ValueCount;
        EnsureCapacity(count);
        _pageCount = count;
        var position = 0;
        var present = 0;
        if (_column.Optional)
        {
            if (header.DefinitionLevelEncoding != Rle)
            {
                throw new NotSupportedException($"column {_column.Name} has definition levels in encoding {header.DefinitionLevelEncoding}");
            }
            var length = BitConverter.ToInt32(page, position);
            position += 4;
            var levels = new int[count];
            Hybrid.Decode(page, position, position + length, 1, levels, count);
            position += length;
            for (var index = 0; index < count; index++)
            {
                _present[index] = levels[index] == 1;
                present += levels[index];
            }
        }
        else
        {
            for (var index = 0; index < count; index++)
            {
                _present[index] = true;
            }
            present = count;
        }
        var isText = _column.Type == ParquetFooter.PhysicalType.ByteArray;
        switch (header.Encoding)
        {
            case Plain:
                // Values are stored for the present entries only: the nth value belongs to the nth non-null slot.
                var plain = new PlainValues(page, position, page.Length);
                var bits = _column.Type == ParquetFooter.PhysicalType.Boolean ? plain.Bits(present) : null;
                var bit = 0;
                for (var index = 0; index < count; index++)
                {
                    if (!_present[index])
                    {
                        continue;
                    }
                    if (bits is not null)
                    {
                        _flags[index] = bits[bit++];
                    }
                    else if (isText)
                    {
                        _text[index] = plain.Text();
                    }
                    else
                    {
                        _numbers[index] = plain.Number(_column.Type);
                    }
                }
                break;
            case PlainDictionary or RleDictionary:
                if (_dictionaryText is null && _dictionaryNumbers is null)
                {
                    throw new InvalidDataException($"column {_column.Name} refers to a dictionary it does not have");
                }
                var indices = new int[present];
                if (present > 0)
                {
                    Hybrid.Decode(page, position + 1, page.Length, page[position], indices, present);
                }
                var dictionarySize = _dictionaryText?.Length ?? _dictionaryNumbers!.Length;
                var next = 0;
                for (var index = 0; index < count; index++)
                {
                    if (!_present[index])
                    {
                        continue;
                    }
                    var entry = indices[next++];
                    if (entry < 0 || entry >= dictionarySize)
                    {
                        throw new InvalidDataException($"column {_column.Name} refers past its dictionary");
                    }
                    if (isText)
                    {
                        _text[index] = _dictionaryText![entry];
                    }
                    else
                    {
                        _numbers[index] = _dictionaryNumbers![entry];
                    }
                }
                break;
            default:
                throw new NotSupportedException($"column {_column.Name} is in encoding {header.Encoding}");
        }

    }

    private void EnsureCapacity(int count)
    {
        if (_present.Length >= count)
        {
            return;
        }
        _present = new bool[count];
        _text = new string?[count];
        _numbers = new long[count];
        _flags = new bool[count];
    }

    private byte[] Decompress(byte[] body, int uncompressedSize)
    {
        switch (_chunk.Codec)
        {
            case ParquetFooter.Codec.Uncompressed:
                return body;
            case ParquetFooter.Codec.Snappy:
                var output = Snappy.Decompress(body, 0, body.Length);
                return output.Length == uncompressedSize ? output : throw new InvalidDataException($"a page of column {_column.Name} decompresses to the wrong size");
            case ParquetFooter.Codec.Gzip:
                using (var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress))
                {
                    var bytes = new byte[uncompressedSize];
                    var read = 0;
                    while (read < bytes.Length && gzip.Read(bytes, read, bytes.Length - read) is var count and > 0)
                    {
                        read += count;
                    }
                    return read == uncompressedSize ? bytes : throw new InvalidDataException($"a page of column {_column.Name} decompresses to the wrong size");
                }
            default:
                throw new NotSupportedException($"column {_column.Name} is compressed with {_chunk.Codec}");
        }
    }

    private static T[] ReadMany<T>(int count, Func<T> read)
    {
        var values = new T[count];
        for (var index = 0; index < count; index++)
        {
            values[index] = read();
        }
        return values;
    }

    /// <summary>PageHeader: 1 type, 2 uncompressed_page_size, 3 compressed_page_size, 5 data_page_header, 7 dictionary_page_header.</summary>
    private sealed record PageHeader(int Type, int UncompressedSize, int CompressedSize, int ValueCount, int Encoding, int DefinitionLevelEncoding)
    {
        public static PageHeader Read(ThriftCompactReader thrift)
        {
            int type = -1, uncompressed = 0, compressed = 0, values = 0, encoding = 0, definitions = Rle;
            thrift.ReadStruct((id, kind) =>
            {
                switch (id)
                {
                    case 1 when kind == ThriftCompactReader.I32:
                        type = thrift.ReadI32();
                        return true;
                    case 2 when kind == ThriftCompactReader.I32:
                        uncompressed = thrift.ReadI32();
                        return true;
                    case 3 when kind == ThriftCompactReader.I32:
                        compressed = thrift.ReadI32();
                        return true;
                    case 5 or 7 when kind == ThriftCompactReader.Struct:
                        // DataPageHeader and DictionaryPageHeader: 1 num_values, 2 encoding; the data page's 3 definition_level_encoding.
                        thrift.ReadStruct((inner, innerKind) =>
                        {
                            if (innerKind != ThriftCompactReader.I32 || inner > 3 || (inner == 3 && id != 5))
                            {
                                return false;
                            }
                            var value = thrift.ReadI32();
                            if (inner == 1)
                            {
                                values = value;
                            }
                            else if (inner == 2)
                            {
                                encoding = value;
                            }
                            else
                            {
                                definitions = value;
                            }
                            return true;
                        });
                        return true;
                    default:
                        return false;
                }
            });
            if (type < 0 || compressed < 0 || uncompressed < 0 || values < 0)
            {
                throw new InvalidDataException("a page header is incomplete");
            }
            return new PageHeader(type, uncompressed, compressed, values, encoding, definitions);
        }
    }

    /// <summary>PLAIN values: byte arrays as a 4-byte length and the bytes, integers little-endian, booleans one bit each.</summary>
    private sealed class PlainValues
    {
        private readonly byte[] _data;
        private readonly int _end;
        private int _position;

        public PlainValues(byte[] data, int position, int end)
        {
            _data = data;
            _position = position;
            _end = end;
        }

        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        public string Text()
        {
            Require(4);
            var length = BitConverter.ToInt32(_data, _position);
            _position += 4;
            Require(length);
            string text;
            try
            {
                // Strictly, as the CSV reader does: a key with invalid bytes would otherwise become another key (U+FFFD).
                text = StrictUtf8.GetString(_data, _position, length);
            }
            catch (DecoderFallbackException invalid)
            {
                throw new InvalidDataException("a text value is not UTF-8", invalid);
            }
            _position += length;
            return text;
        }

        public long Number(ParquetFooter.PhysicalType type)
        {
            switch (type)
            {
                case ParquetFooter.PhysicalType.Int64:
                    Require(8);
                    _position += 8;
                    return BitConverter.ToInt64(_data, _position - 8);
                case ParquetFooter.PhysicalType.Int32:
                    Require(4);
                    _position += 4;
                    return BitConverter.ToInt32(_data, _position - 4);
                default:
                    throw new NotSupportedException($"values of type {type}");
            }
        }

        public bool[] Bits(int count)
        {
            Require((count + 7) / 8);
            var bits = new bool[count];
            for (var index = 0; index < count; index++)
            {
                bits[index] = (_data[_position + index / 8] & (1 << (index % 8))) != 0;
            }
            _position += (count + 7) / 8;
            return bits;
        }

        private void Require(int count)
        {
            if (count < 0 || _position + count > _end)
            {
                throw new InvalidDataException("a page's values end early");
            }
        }
    }

    /// <summary>The RLE / bit-packing hybrid of definition levels and dictionary indices.</summary>
    private static class Hybrid
    {
        public static void Decode(byte[] data, int position, int end, int bitWidth, int[] output, int count)
        {
            if (bitWidth is < 0 or > 32)
            {
                throw new InvalidDataException("a bit width out of range");
            }
            var written = 0;
            var bytesPerValue = (bitWidth + 7) / 8;
            while (written < count)
            {
                var header = 0L;
                for (var shift = 0; ; shift += 7)
                {
                    if (position >= end || shift > 35)
                    {
                        throw new InvalidDataException("levels or indices end early");
                    }
                    var next = data[position++];
                    header |= (long)(next & 0x7F) << shift;
                    if ((next & 0x80) == 0)
                    {
                        break;
                    }
                }
                if ((header & 1) == 0)
                {
                    var run = (int)Math.Min(header >> 1, count - written);
                    if (position + bytesPerValue > end)
                    {
                        throw new InvalidDataException("levels or indices end early");
                    }
                    var value = 0;
                    for (var index = 0; index < bytesPerValue; index++)
                    {
                        value |= data[position++] << (8 * index);
                    }
                    for (var index = 0; index < run; index++)
                    {
                        output[written++] = value;
                    }
                }
                else
                {
                    var values = (int)Math.Min((header >> 1) * 8, int.MaxValue);
                    long bit = (long)position * 8;
                    for (var index = 0; index < values && written < count; index++)
                    {
                        var value = 0;
                        for (var b = 0; b < bitWidth; b++, bit++)
                        {
                            var at = (int)(bit >> 3);
                            if (at >= end)
                            {
                                throw new InvalidDataException("levels or indices end early");
                            }
                            value |= ((data[at] >> (int)(bit & 7)) & 1) << b;
                        }
                        output[written++] = value;
                    }
                    position += (int)Math.Min((header >> 1) * bitWidth, end - position);
                }
            }
        }
    }
}
