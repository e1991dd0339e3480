using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>One field of an ErrorResponse/NoticeResponse.</summary>
public readonly struct ErrorFieldValue
{
    public ErrorFieldValue(ErrorField field, ReadOnlySequence<byte> value)
    {
        Field = field;
        Value = value;
    }

    public ErrorField Field { get; }

    public ReadOnlySequence<byte> Value { get; }
}
