using System;
using System.IO;
using System.Text;

namespace S3Replication.Transfer.Inventory.Parquet;

/// <summary>
/// The Thrift compact protocol, reading side, as far as Parquet's footer and page headers need it: structs field by
/// field (the caller reads the fields it knows and skips the rest), lists, zigzag varints, binary, booleans.
/// </summary>
internal sealed class ThriftCompactReader
{
    public const byte Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12;

    private const int MaxDepth = 64;

    private readonly Stream _input;
    private short _lastField;
    private readonly short[] _fieldStack = new short[MaxDepth];
    private int _depth;

    public ThriftCompactReader(Stream input) => _input = input;

    public void BeginStruct()
    {
        if (_depth == MaxDepth)
        {
            throw new InvalidDataException("Thrift structs nested too deep");
        }
        _fieldStack[_depth++] = _lastField;
        _lastField = 0;
    }

    public void EndStruct() => _lastField = _fieldStack[--_depth];

    /// <summary>The next field's id and type; type <see cref="Stop"/> at the end of the struct.</summary>
    public (short Id, byte Type) NextField()
    {
        var header = ReadByte();
        var type = (byte)(header & 0x0F);
        if (type == Stop)
        {
            return (0, Stop);
        }
        var delta = header >> 4;
        _lastField = delta != 0 ? (short)(_lastField + delta) : (short)Zigzag(ReadVarint());
        return (_lastField, type);
    }

    /// <summary>Reads a struct field by field: <paramref name="read"/> takes each field it knows (id, type) and returns false for the rest, which are skipped.</summary>
    public void ReadStruct(Func<short, byte, bool> read)
    {
        BeginStruct();
        for (var field = NextField(); field.Type != Stop; field = NextField())
        {
            if (!read(field.Id, field.Type))
            {
                Skip(field.Type);
            }
        }
        EndStruct();
    }

    /// <summary>Reads a list whose elements <paramref name="read"/> takes one by one.</summary>
    public void ReadList(Action read)
    {
        var (_, count) = BeginList();
        for (var index = 0; index < count; index++)
        {
            read();
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="input"/>, or fails saying <paramref name="what"/> ends early.</summary>
    public static void Fill(Stream input, byte[] buffer, string what)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var count = input.Read(buffer, read, buffer.Length - read);
            if (count == 0)
            {
                throw new EndOfStreamException(what + " ends early");
            }
            read += count;
        }
    }

    /// <summary>A boolean field's value travels in its type.</summary>
    public static bool BooleanOf(byte type) => type == True;

    public int ReadI32() => (int)Zigzag(ReadVarint());

    public long ReadI64() => Zigzag(ReadVarint());

    public string ReadString() => Encoding.UTF8.GetString(ReadBinary());

    public byte[] ReadBinary()
    {
        var length = checked((int)ReadVarint());
        var bytes = new byte[length];
        Fill(_input, bytes, "the Parquet metadata");
        return bytes;
    }

    /// <summary>A list's element type and count.</summary>
    public (byte ElementType, int Count) BeginList()
    {
        var header = ReadByte();
        var count = header >> 4;
        return ((byte)(header & 0x0F), count == 15 ? checked((int)ReadVarint()) : count);
    }

    public void Skip(byte type)
    {
        switch (type)
        {
            case True or False:
                return;
            case Byte:
                ReadByte();
                return;
            case I16 or I32 or I64:
                ReadVarint();
                return;
            case Double:
                Fill(_input, new byte[8], "the Parquet metadata");
                return;
            case Binary:
                ReadBinary();
                return;
            case List or Set:
                var (elementType, count) = BeginList();
                for (var index = 0; index < count; index++)
                {
                    SkipElement(elementType);
                }
                return;
            case Map:
                var entries = checked((int)ReadVarint());
                if (entries > 0)
                {
                    var types = ReadByte();
                    for (var index = 0; index < entries; index++)
                    {
                        SkipElement((byte)(types >> 4));
                        SkipElement((byte)(types & 0x0F));
                    }
                }
                return;
            case Struct:
                ReadStruct((_, _) => false);
                return;
            default:
                throw new InvalidDataException($"unknown Thrift type {type}");
        }
    }

    /// <summary>A boolean inside a list or map takes a byte of its own.</summary>
    private void SkipElement(byte type)
    {
        if (type is True or False)
        {
            ReadByte();
        }
        else
        {
            Skip(type);
        }
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var next = ReadByte();
            value |= (ulong)(next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                return value;
            }
        }
        throw new InvalidDataException("a Thrift varint longer than 64 bits");
    }

    private static long Zigzag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private byte ReadByte()
    {
        var next = _input.ReadByte();
        return next >= 0 ? (byte)next : throw new EndOfStreamException("the Parquet metadata ends early");
    }
}
