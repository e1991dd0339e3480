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
        _index = 0;
        _current = default;
    }

    public readonly MySqlBinaryValue Current => _current;

    /// <summary>True once every value has been read and no bytes remain after them.</summary>
    public readonly bool ReachedEnd => _index == _count && _values.Slice(_valuePosition).IsEmpty;

    public readonly ExecuteParameterEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        MySqlParameterType type;
        if (_types.IsEmpty)
        {
            type = _knownTypes[_index];
        }
        else
        {
            var t = new MySqlPayloadReader(_types.Slice(_typePosition), "COM_STMT_EXECUTE types");
            ushort raw = t.ReadUInt16();
            if (_withNames)
            {
                t.ReadLengthEncodedString();
            }

            type = new MySqlParameterType((MySqlColumnType)(raw & 0xFF), ((raw >> 8) & MySqlParameterType.UnsignedFlag) != 0);
            _typePosition = t.Unread.Start;
        }

        bool isNull = BinaryParameters.IsNull(_nullBitmap, _index);
        bool isLongData = _index < 64 && (_longDataMask & (1UL << _index)) != 0;
        ReadOnlySequence<byte> value = default;
        if (!isNull && !isLongData)
        {
            var r = new MySqlPayloadReader(_values.Slice(_valuePosition), "COM_STMT_EXECUTE values");
            value = BinaryParameters.ReadValue(ref r, type.Type);
            _valuePosition = r.Unread.Start;
        }

        _current = new MySqlBinaryValue(_index, type, isNull, isLongData, value);
        _index++;
        return true;
    }
}
