using System.Buffers;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>Allocation-free enumerator over the parameters of a validated COM_STMT_EXECUTE.</summary>
public ref struct ExecuteParameterEnumerator
{
    private readonly ReadOnlySequence<byte> _nullBitmap;
    private readonly ReadOnlySequence<byte> _types;
    private readonly ReadOnlySequence<byte> _values;
    private readonly ReadOnlySpan<MySqlParameterType> _knownTypes;
    private readonly int _count;
    private readonly bool _withNames;
    private readonly ulong _longDataMask;
    private SequencePosition _typePosition;
    private SequencePosition _valuePosition;
    private int _valueOffset;
    private int _index;
    private MySqlBinaryValue _current;

    internal ExecuteParameterEnumerator(ReadOnlySequence<byte> nullBitmap, ReadOnlySequence<byte> types, ReadOnlySequence<byte> values,
        ReadOnlySpan<MySqlParameterType> knownTypes, int count, bool withNames, ulong longDataMask)
    {
        _nullBitmap = nullBitmap;
        _types = types;
        _values = values;
        _knownTypes = knownTypes;
        _count = count;
        _withNames = withNames;
        _longDataMask = longDataMask;
        _typePosition = types.Start;
        _valuePosition = values.Start;
        _valueOffset = 0;
        _index = 0;
        _current = default;
    }

    public readonly MySqlBinaryValue Current => _current;

    /// <summary>True once every value has been read and no bytes remain after them.</summary>
    public readonly bool ReachedEnd => _index == _count
        && (_values.IsSingleSegment ? _valueOffset == _values.Length : _values.Slice(_valuePosition).IsEmpty);

    public readonly ExecuteParameterEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        MySqlParameterType type = _types.IsEmpty ? _knownTypes[_index] : NextType();
        bool isNull = BinaryParameters.IsNull(_nullBitmap, _index);
        bool isLongData = _index < 64 && (_longDataMask & (1UL << _index)) != 0;
        ReadOnlySequence<byte> value = default;
        if (!isNull && !isLongData)
        {
            value = NextValue(type.Type);
        }

        _current = new MySqlBinaryValue(_index, type, isNull, isLongData, value);
        _index++;
        return true;
    }

    private MySqlParameterType NextType()
    {
        ushort raw;
        if (_types.IsSingleSegment && !_withNames)
        {
            // Fast path: 2 bytes per type in one span (validated by ComStmtExecute.Read).
            ReadOnlySpan<byte> span = _types.FirstSpan;
            int offset = _index * 2;
            raw = (ushort)(span[offset] | (span[offset + 1] << 8));
        }
        else
        {
            var t = new MySqlPayloadReader(_types.Slice(_typePosition), "COM_STMT_EXECUTE types");
            raw = t.ReadUInt16();
            if (_withNames)
            {
                t.ReadLengthEncodedString();
            }

            _typePosition = t.Unread.Start;
        }

        return new MySqlParameterType((MySqlColumnType)(raw & 0xFF), ((raw >> 8) & MySqlParameterType.UnsignedFlag) != 0);
    }

    private ReadOnlySequence<byte> NextValue(MySqlColumnType type)
    {
        if (_values.IsSingleSegment)
        {
            // Fast path: decode the length from the span, slice once.
            ReadOnlySpan<byte> span = _values.FirstSpan.Slice(_valueOffset);
            (int start, int length) = BinaryParameters.Locate(span, type);
            ReadOnlySequence<byte> value = _values.Slice(_valueOffset + start, length);
            _valueOffset += start + length;
            return value;
        }

        var r = new MySqlPayloadReader(_values.Slice(_valuePosition), "COM_STMT_EXECUTE values");
        ReadOnlySequence<byte> slow = BinaryParameters.ReadValue(ref r, type);
        _valuePosition = r.Unread.Start;
        return slow;
    }
}
