using System;
using System.IO;

namespace S3Replication.Transfer.Inventory.Parquet;

/// <summary>
/// Decompresses a raw Snappy block (the format Parquet's SNAPPY codec uses, without the framing of .sz files): a varint
/// of the uncompressed length, then literals and back-references of 1, 2 or 4-byte offsets. Managed code, so the module
/// needs no native library on any platform.
/// </summary>
internal static class Snappy
{
    public static byte[] Decompress(byte[] input, int offset, int count)
    {
        var end = offset + count;
        var position = offset;
        var length = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (position == end || shift > 28)
            {
                throw new InvalidDataException("a Snappy block's length is cut off");
            }
            var next = input[position++];
            length |= (next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                break;
            }
        }
        var output = new byte[length];
        var written = 0;
        while (position < end)
        {
            var tag = input[position++];
            switch (tag & 3)
            {
                case 0:
                    var literal = tag >> 2;
                    if (literal >= 60)
                    {
                        var bytes = literal - 59;
                        Require(position + bytes <= end);
                        literal = 0;
                        for (var index = 0; index < bytes; index++)
                        {
                            literal |= input[position++] << (8 * index);
                        }
                    }
                    literal++;
                    Require(literal > 0 && position + literal <= end && written + literal <= length);
                    Buffer.BlockCopy(input, position, output, written, literal);
                    position += literal;
                    written += literal;
                    break;
                case 1:
                    Require(position < end);
                    Copy(output, ref written, ((tag >> 5) << 8) | input[position++], 4 + ((tag >> 2) & 7));
                    break;
                case 2:
                    Require(position + 2 <= end);
                    Copy(output, ref written, input[position] | (input[position + 1] << 8), 1 + (tag >> 2));
                    position += 2;
                    break;
                default:
                    Require(position + 4 <= end);
                    Copy(output, ref written, BitConverter.ToInt32(input, position), 1 + (tag >> 2));
                    position += 4;
                    break;
            }
        }
        Require(written == length);
        return output;
    }

    /// <summary>A back-reference; it may overlap what it writes (a run), so byte by byte.</summary>
    private static void Copy(byte[] output, ref int written, int distance, int count)
    {
        Require(distance > 0 && distance <= written && written + count <= output.Length);
        for (var index = 0; index < count; index++, written++)
        {
            output[written] = output[written - distance];
        }
    }

    private static void Require(bool valid)
    {
        if (!valid)
        {
            throw new InvalidDataException("a Snappy block is corrupt");
        }
    }
}
