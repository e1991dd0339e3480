using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// Allocation-free enumerator over length-prefixed values (int32 length, -1 = NULL) with the format-code
/// rule of Bind/FunctionCall: no codes = all text, one code = applies to all, else one per value.
/// The values were validated when the message was parsed, so enumerating never throws.
/// </summary>
public struct ParameterValueEnumerator
{
    private readonly ReadOnlySequence<byte> _formats;
    private readonly int _formatCount;
    private readonly ReadOnlySequence<byte> _values;
    private readonly int _count;
    private SequencePosition _position;
    private int _index;
    private ParameterValue _current;

    internal ParameterValueEnumerator(ReadOnlySequence<byte> formats, int formatCount, ReadOnlySequence<byte> values, int count)
    {
        _formats = formats;
        _formatCount = formatCount;
        _values = values;
        _count = count;
        _position = values.Start;
        _index = 0;
        _current = default;
    }

    public readonly ParameterValue Current => _current;

    public readonly ParameterValueEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        var reader = new SequenceReader<byte>(_values.Slice(_position));
        reader.TryReadBigEndian(out int length);
        ReadOnlySequence<byte> value = default;
        if (length >= 0)
        {
            value = reader.UnreadSequence.Slice(0, length);
            reader.Advance(length);
        }

        _current = new ParameterValue(_index, FormatOf(_formats, _formatCount, _index), length < 0, value);
        _position = reader.Position;
        _index++;
        return true;
    }

    internal static short FormatOf(in ReadOnlySequence<byte> formats, int formatCount, int index)
    {
        if (formatCount == 0)
        {
            return 0;
        }

        long offset = formatCount == 1 ? 0 : index * 2L;
        Span<byte> code = stackalloc byte[2];
        formats.Slice(offset, 2).CopyTo(code);
        return BinaryPrimitives.ReadInt16BigEndian(code);
    }

    /// <summary>Walks <paramref name="count"/> length-prefixed values, throwing if any is malformed; returns their bytes.</summary>
    internal static ReadOnlySequence<byte> Validate(ref PayloadReader reader, int count)
    {
        ReadOnlySequence<byte> unread = reader.Unread;
        long before = reader.Remaining;
        for (int i = 0; i < count; i++)
        {
            reader.ReadLengthPrefixed(out _);
        }

        return unread.Slice(0, before - reader.Remaining);
    }
}
