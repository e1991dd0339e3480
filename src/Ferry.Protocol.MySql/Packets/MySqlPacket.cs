using System.Buffers;

namespace Ferry.Protocol.MySql.Packets;

/// <summary>One physical packet: sequence id, the raw bytes including the 4-byte header, the payload.</summary>
public readonly struct MySqlPacket
{
    public MySqlPacket(byte sequenceId, ReadOnlySequence<byte> raw)
    {
        SequenceId = sequenceId;
        Raw = raw;
    }

    public byte SequenceId { get; }

    public ReadOnlySequence<byte> Raw { get; }

    public ReadOnlySequence<byte> Payload => Raw.Slice(MySqlPacketReader.HeaderLength);

    public int PayloadLength => (int)Raw.Length - MySqlPacketReader.HeaderLength;

    /// <summary>True when the payload is 0xFFFFFF bytes: the logical message continues in the next packet.</summary>
    public bool HasContinuation => PayloadLength == MySqlLimits.MaxPacketPayload;
}
