using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Protocol.MySql;

/// <summary>
/// Reads little-endian fields of one complete payload. A read past the end throws
/// <see cref="MySqlProtocolException"/> (ER_MALFORMED_PACKET) naming the packet. Single-segment payloads
/// (nearly all) are read straight from the span; fields are still handed out as slices of the sequence.
/// </summary>
internal ref struct MySqlPayloadReader
{
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly ReadOnlySpan<byte> _span;
    private readonly bool _single;
    private readonly string _packet;
    private int _offset;
    private SequenceReader<byte> _reader;

    public MySqlPayloadReader(ReadOnlySequence<byte> payload, string packet)
    {
        _sequence = payload;
        _packet = packet;
        _single = payload.IsSingleSegment;
        _offset = 0;
        if (_single)
        {
            _span = payload.FirstSpan;
            _reader = default;
        }
        else
        {
            _span = default;
            _reader = new SequenceReader<byte>(payload);
        }
    }

    public readonly long Remaining => _single ? _span.Length - _offset : _reader.Remaining;

    public readonly bool End => Remaining == 0;

    public readonly ReadOnlySequence<byte> Unread => _single ? _sequence.Slice(_offset) : _reader.UnreadSequence;

    public readonly bool TryPeek(out byte value)
    {
        if (_single)
        {
            bool ok = _offset < _span.Length;
            value = ok ? _span[_offset] : (byte)0;
            return ok;
        }

        return _reader.TryPeek(out value);
    }

    public byte ReadByte()
    {
        if (_single)
        {
            if (_offset >= _span.Length)
            {
                Truncated();
            }

            return _span[_offset++];
        }

        if (!_reader.TryRead(out byte value))
        {
            Truncated();
        }

        return value;
    }

    public ushort ReadUInt16()
    {
        if (_single)
        {
            return BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
        }

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
        if (_single)
        {
            return BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
        }

        if (!_reader.TryReadLittleEndian(out int value))
        {
            Truncated();
        }

        return (uint)value;
    }

    public ulong ReadUInt64()
    {
        if (_single)
        {
            return BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        }

        if (!_reader.TryReadLittleEndian(out long value))
        {
            Truncated();
        }

        return (ulong)value;
    }

    public ReadOnlySequence<byte> ReadBytes(long count)
    {
        if (count < 0 || Remaining < count)
        {
            Truncated();
        }

        if (_single)
        {
            ReadOnlySequence<byte> slice = _sequence.Slice(_offset, (int)count);
            _offset += (int)count;
            return slice;
        }

        ReadOnlySequence<byte> value = _reader.UnreadSequence.Slice(0, count);
        _reader.Advance(count);
        return value;
    }

    public void Skip(long count)
    {
        if (count < 0 || Remaining < count)
        {
            Truncated();
        }

        if (_single)
        {
            _offset += (int)count;
        }
        else
        {
            _reader.Advance(count);
        }
    }

    public ReadOnlySequence<byte> ReadNullTerminated()
    {
        if (!TryReadNullTerminated(out ReadOnlySequence<byte> value))
        {
            MySqlThrow.Malformed(_packet + ": missing string terminator");
        }

        return value;
    }

    /// <summary>A NUL-terminated string that may also end at the end of the payload (older clients).</summary>
    public ReadOnlySequence<byte> ReadNullTerminatedOrRest() =>
        TryReadNullTerminated(out ReadOnlySequence<byte> value) ? value : ReadRest();

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
        if (length > (ulong)Remaining)
        {
            Truncated();
        }

        return ReadBytes((long)length);
    }

    public ReadOnlySequence<byte> ReadRest()
    {
        if (_single)
        {
            ReadOnlySequence<byte> rest = _sequence.Slice(_offset);
            _offset = _span.Length;
            return rest;
        }

        ReadOnlySequence<byte> unread = _reader.UnreadSequence;
        _reader.AdvanceToEnd();
        return unread;
    }

    public readonly void ExpectEnd()
    {
        if (!End)
        {
            MySqlThrow.Malformed(_packet + ": unexpected trailing bytes");
        }
    }

    private bool TryReadNullTerminated(out ReadOnlySequence<byte> value)
    {
        if (_single)
        {
            int length = _span.Slice(_offset).IndexOf((byte)0);
            if (length < 0)
            {
                value = default;
                return false;
            }

            value = _sequence.Slice(_offset, length);
            _offset += length + 1;
            return true;
        }

        return _reader.TryReadTo(out value, 0);
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_span.Length - _offset < count)
        {
            Truncated();
        }

        ReadOnlySpan<byte> bytes = _span.Slice(_offset, count);
        _offset += count;
        return bytes;
    }

    private readonly void Truncated() => MySqlThrow.Malformed(_packet + ": truncated");
}
