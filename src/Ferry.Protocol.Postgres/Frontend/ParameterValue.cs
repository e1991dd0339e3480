using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>One parameter (Bind, FunctionCall) or column (DataRow) value as a slice of the frame.</summary>
public readonly struct ParameterValue
{
    public ParameterValue(int index, short formatCode, bool isNull, ReadOnlySequence<byte> value)
    {
        Index = index;
        FormatCode = formatCode;
        IsNull = isNull;
        Value = value;
    }

    public int Index { get; }

    /// <summary>0 = text, 1 = binary.</summary>
    public short FormatCode { get; }

    public bool IsNull { get; }

    public ReadOnlySequence<byte> Value { get; }
}
