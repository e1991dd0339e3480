using System.Buffers;

namespace Ferry.Protocol.MySql;

/// <summary>
/// Reads little-endian fields of one complete payload. A read past the end throws
/// <see cref="MySqlProtocolException"/> (ER_MALFORMED_PACKET) naming the packet.
/// </summary>
internal ref struct MySqlPayloadReader
{
    private SequenceReader<byte> _reader;
    private readonly string _packet;

    public MySqlPayloadReader(ReadOnlySequence<byte> payload, string packet)
    {
        _reader = new SequenceReader<byte>(payload);
        _packet = packet;
    }

    public readonly long Remaining => _reader.Remaining;

    public readonly bool End => _reader.End;

    public readonly ReadOnlySequence<byte> Unread => _reader.UnreadSequence;

    public readonly bool TryPeek(out byte value) => _reader.TryPeek(out value);

    public byte ReadByte()
    {
        if (!_reader.TryRead(out byte value))
        {
            Truncated();
        }

        return value;
    }

    public ushort ReadUInt16()
    {
        if (!_reader.TryReadLittleEndian(out short value))
        {
            Truncated();
        }

        return (ushort)value;
    }

    public uint ReadUInt24()
    {
        ushort low = ReadUInt16();
        return low | ((uint)ReadByte() << 16);
    }

    public uint ReadUInt32()
    {
        if (!_reader.TryReadLittleEndian(out int value))
        {
            Truncated();
        }

        return (uint)value;
    }

    public ulong ReadUInt64()
    {
        if (!_reader.TryReadLittleEndian(out long value))
        {
            Truncated();
        }

        return (ulong)value;
    }

    public ReadOnlySequence<byte> ReadBytes(long count)
    {
        if (count < 0 || _reader.Remaining < count)
        {
            Truncated();
        }

        ReadOnlySequence<byte> value = _reader.UnreadSequence.Slice(0, count);
        _reader.Advance(count);
        return value;
    }

    public ReadOnlySequence<byte> ReadNullTerminated()
    {
        if (!_reader.TryReadTo(out ReadOnlySequence<byte> value, 0))
        {
            MySqlThrow.Malformed(_packet + ": missing string terminator");
        }

        return value;
    }

    /// <summary>A NUL-terminated string that may also end at the end of the payload (older clients).</summary>
    public ReadOnlySequence<byte> ReadNullTerminatedOrRest()
    {
        if (_reader.TryReadTo(out ReadOnlySequence<byte> value, 0))
        {
            return value;
        }

        return ReadRest();
    }

    /// <summary>Length-encoded integer; 0xFB (NULL) and 0xFF are malformed here.</summary>
    public ulong ReadLengthEncoded()
    {
        ulong value = ReadLengthEncodedOrNull(out bool isNull);
        if (isNull)
        {
            MySqlThrow.Malformed(_packet + ": unexpected NULL length");
        }

        return value;
    }

    /// <summary>Length-encoded integer where 0xFB means NULL (result rows).</summary>
    public ulong ReadLengthEncodedOrNull(out bool isNull)
    {
        byte first = ReadByte();
        isNull = false;
        switch (first)
        {
            case < 0xFB: return first;
            case 0xFB: isNull = true; return 0;
            case 0xFC: return ReadUInt16();
            case 0xFD: return ReadUInt24();
            case 0xFE: return ReadUInt64();
            default: return MySqlThrow.Malformed<ulong>(_packet + ": invalid length-encoded integer 0xFF");
        }
    }

    public ReadOnlySequence<byte> ReadLengthEncodedString()
    {
        ulong length = ReadLengthEncoded();
        if (length > (ulong)_reader.Remaining)
        {
            Truncated();
        }

        return ReadBytes((long)length);
    }

    public ReadOnlySequence<byte> ReadRest()
    {
        ReadOnlySequence<byte> rest = _reader.UnreadSequence;
        _reader.AdvanceToEnd();
        return rest;
    }

    public void Skip(long count) => ReadBytes(count);

    public readonly void ExpectEnd()
    {
        if (!_reader.End)
        {
            MySqlThrow.Malformed(_packet + ": unexpected trailing bytes");
        }
    }

    private readonly void Truncated() => MySqlThrow.Malformed(_packet + ": truncated");
}
