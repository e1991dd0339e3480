using System.Buffers;

namespace Ferry.Protocol.MySql.Handshake;

/// <summary>One connect attribute (_client_name, _pid, program_name...).</summary>
public readonly struct ConnectAttribute
{
    public ConnectAttribute(ReadOnlySequence<byte> key, ReadOnlySequence<byte> value)
    {
        Key = key;
        Value = value;
    }

    public ReadOnlySequence<byte> Key { get; }

    public ReadOnlySequence<byte> Value { get; }
}
