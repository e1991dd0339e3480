using System.Buffers;

namespace Ferry.Protocol.MySql.Packets;

/// <summary>
/// One logical message: a packet, or a chain of 0xFFFFFF-byte packets ended by a shorter one.
/// Single-packet messages (almost all) expose their payload as a slice; chains are reassembled on request.
/// </summary>
public readonly struct MySqlMessage
{
    public MySqlMessage(byte firstSequenceId, int packetCount, long payloadLength, ReadOnlySequence<byte> raw)
    {
        FirstSequenceId = firstSequenceId;
        PacketCount = packetCount;
        PayloadLength = payloadLength;
        Raw = raw;
    }

    public byte FirstSequenceId { get; }

    /// <summary>Sequence id of the last packet of the chain; a reply continues from it plus one.</summary>
    public byte LastSequenceId => unchecked((byte)(FirstSequenceId + PacketCount - 1));

    public int PacketCount { get; }

    public long PayloadLength { get; }

    /// <summary>Every packet of the message, headers included, for relaying unchanged.</summary>
    public ReadOnlySequence<byte> Raw { get; }

    /// <summary>Payload of a single-packet message without copying.</summary>
    public bool TryGetPayload(out ReadOnlySequence<byte> payload)
    {
        if (PacketCount == 1)
        {
            payload = Raw.Slice(MySqlPacketReader.HeaderLength);
            return true;
        }

        payload = default;
        return false;
    }

    /// <summary>Copies the payload, headers removed, into <paramref name="writer"/> (reassembles chains).</summary>
    public void CopyPayloadTo(IBufferWriter<byte> writer)
    {
        ReadOnlySequence<byte> rest = Raw;
        Span<byte> header = stackalloc byte[MySqlPacketReader.HeaderLength];
        while (!rest.IsEmpty)
        {
            rest.Slice(0, MySqlPacketReader.HeaderLength).CopyTo(header);
            int length = header[0] | (header[1] << 8) | (header[2] << 16);
            ReadOnlySequence<byte> body = rest.Slice(MySqlPacketReader.HeaderLength, length);
            foreach (ReadOnlyMemory<byte> segment in body)
            {
                writer.Write(segment.Span);
            }

            rest = rest.Slice(MySqlPacketReader.HeaderLength + length);
        }
    }
}
