using System.Buffers.Binary;
using Ferry.Protocol.MySql;

namespace Ferry.Wire.MySql;

/// <summary>Reads the length-encoded fields of a column definition or a text row (one whole payload).</summary>
public ref struct MySqlFieldReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _offset;

    public readonly bool NextIsNull => _offset < _payload.Length && _payload[_offset] == 0xFB;

    public byte ReadByte() => _offset < _payload.Length ? _payload[_offset++] : throw Truncated();

    public ulong ReadLengthEncoded()
    {
        var first = ReadByte();
        return first switch
        {
            < 0xFB => first,
            0xFC => Fixed(2),
            0xFD => Fixed(3),
            0xFE => Fixed(8),
            _ => throw new MySqlProtocolException($"a length-encoded integer starting with 0x{first:x2}"),
        };
    }

    public ReadOnlySpan<byte> ReadLengthEncodedString()
    {
        var length = ReadLengthEncoded();
        if (length > (ulong)(_payload.Length - _offset))
        {
            throw Truncated();
        }

        var value = _payload.Slice(_offset, (int)length);
        _offset += (int)length;
        return value;
    }

    public void Skip(int count)
    {
        if (count > _payload.Length - _offset)
        {
            throw Truncated();
        }

        _offset += count;
    }

    private ulong Fixed(int size)
    {
        if (size > _payload.Length - _offset)
        {
            throw Truncated();
        }

        Span<byte> buffer = stackalloc byte[8];
        _payload.Slice(_offset, size).CopyTo(buffer);
        _offset += size;
        return BinaryPrimitives.ReadUInt64LittleEndian(buffer);
    }

    private static MySqlProtocolException Truncated() => new("a truncated column definition or row");
}
