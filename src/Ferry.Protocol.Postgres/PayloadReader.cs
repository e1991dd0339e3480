using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// Reads the fields of one complete message body. Every read that runs past the body throws a
/// <see cref="PostgresProtocolException"/> naming the message: a declared length that disagrees with
/// the fields inside it is malformed input, never "need more data".
/// </summary>
internal ref struct PayloadReader
{
    private SequenceReader<byte> _reader;
    private readonly string _message;

    public PayloadReader(ReadOnlySequence<byte> payload, string message)
    {
        _reader = new SequenceReader<byte>(payload);
        _message = message;
    }

    public readonly long Remaining => _reader.Remaining;

    public readonly bool End => _reader.End;

    public readonly ReadOnlySequence<byte> Unread => _reader.UnreadSequence;

    public ReadOnlySequence<byte> ReadCString()
    {
        if (!_reader.TryReadTo(out ReadOnlySequence<byte> value, 0))
        {
            PostgresThrow.Malformed(_message + ": missing string terminator");
        }

        return value;
    }

    public byte ReadByte() => _reader.TryRead(out byte value) ? value : Truncated<byte>();

    public short ReadInt16() => _reader.TryReadBigEndian(out short value) ? value : Truncated<short>();

    public int ReadInt32() => _reader.TryReadBigEndian(out int value) ? value : Truncated<int>();

    /// <summary>Reads a non-negative int16 count.</summary>
    public int ReadCount16()
    {
        short count = ReadInt16();
        if (count < 0)
        {
            PostgresThrow.Malformed(_message + ": negative count");
        }

        return count;
    }

    public ReadOnlySequence<byte> ReadBytes(long count)
    {
        if (count < 0 || _reader.Remaining < count)
        {
            Truncated<long>();
        }

        ReadOnlySequence<byte> value = _reader.UnreadSequence.Slice(0, count);
        _reader.Advance(count);
        return value;
    }

    /// <summary>Reads an int32 length followed by that many bytes; length -1 means NULL.</summary>
    public ReadOnlySequence<byte> ReadLengthPrefixed(out bool isNull)
    {
        int length = ReadInt32();
        isNull = length == -1;
        if (isNull)
        {
            return default;
        }

        if (length < 0)
        {
            PostgresThrow.Malformed(_message + ": negative length");
        }

        return ReadBytes(length);
    }

    public ReadOnlySequence<byte> ReadRest()
    {
        ReadOnlySequence<byte> rest = _reader.UnreadSequence;
        _reader.AdvanceToEnd();
        return rest;
    }

    /// <summary>A read ran past the end of the body.</summary>
    [DoesNotReturn]
    private readonly T Truncated<T>() => PostgresThrow.Malformed<T>(_message + ": truncated");

    /// <summary>Throws unless the body has been read to its last byte.</summary>
    public readonly void ExpectEnd()
    {
        if (!_reader.End)
        {
            PostgresThrow.Malformed(_message + ": unexpected trailing bytes");
        }
    }
}
