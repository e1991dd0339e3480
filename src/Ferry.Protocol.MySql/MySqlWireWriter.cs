using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Ferry.Protocol.MySql;

/// <summary>
/// Forward-only little-endian writer over one span: message writers compute the payload size, call
/// <see cref="Begin"/> (which writes the packet header), fill, then <see cref="Finish"/>.
/// </summary>
internal ref struct MySqlWireWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public MySqlWireWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    /// <summary>Starts a single packet; payloads of 0xFFFFFF bytes or more need <see cref="Packets.MySqlPacketWriter"/>.</summary>
    public static MySqlWireWriter Begin(IBufferWriter<byte> writer, byte sequenceId, int payloadLength, out int total)
    {
        if (payloadLength >= MySqlLimits.MaxPacketPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), "payload needs continuation packets");
        }

        // total = length (3) + sequence id (1) + payload
        total = 3 + 1 + payloadLength;
        var w = new MySqlWireWriter(writer.GetSpan(total));
        w.WriteUInt24((uint)payloadLength);
        w.WriteByte(sequenceId);
        return w;
    }

    public readonly void Finish(IBufferWriter<byte> writer, int total)
    {
        System.Diagnostics.Debug.Assert(_position == total, "precomputed packet size was not filled exactly");
        writer.Advance(total);
    }

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_span.Slice(_position), value);
        _position += 2;
    }

    public void WriteUInt24(uint value)
    {
        _span[_position] = (byte)value;
        _span[_position + 1] = (byte)(value >> 8);
        _span[_position + 2] = (byte)(value >> 16);
        _position += 3;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_span.Slice(_position), value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_span.Slice(_position), value);
        _position += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span.Slice(_position));
        _position += value.Length;
    }

    public void WriteZeros(int count)
    {
        _span.Slice(_position, count).Clear();
        _position += count;
    }

    public void WriteNullTerminated(ReadOnlySpan<byte> value)
    {
        WriteBytes(value);
        WriteByte(0);
    }

    public void WriteUtf8(string value) => _position += Encoding.UTF8.GetBytes(value, _span.Slice(_position));

    public void WriteLengthEncoded(ulong value)
    {
        if (value < 0xFB)
        {
            WriteByte((byte)value);
        }
        else if (value <= 0xFFFF)
        {
            WriteByte(0xFC);
            WriteUInt16((ushort)value);
        }
        else if (value <= 0xFF_FFFF)
        {
            WriteByte(0xFD);
            WriteUInt24((uint)value);
        }
        else
        {
            WriteByte(0xFE);
            WriteUInt64(value);
        }
    }

    public void WriteLengthEncodedString(ReadOnlySpan<byte> value)
    {
        WriteLengthEncoded((ulong)value.Length);
        WriteBytes(value);
    }

    public static int LengthEncodedSize(ulong value) => value switch
    {
        < 0xFB => 1,
        <= 0xFFFF => 3,
        <= 0xFF_FFFF => 4,
        _ => 9,
    };

    public static int LengthEncodedStringSize(int length) => LengthEncodedSize((ulong)length) + length;

    public static int NullTerminatedSize(ReadOnlySpan<byte> value)
    {
        if (value.IndexOf((byte)0) >= 0)
        {
            throw new ArgumentException("a NUL-terminated field cannot contain NUL", nameof(value));
        }

        return value.Length + 1;
    }
}
