using System.Buffers;

namespace Ferry.Protocol.MySql.Packets;

/// <summary>
/// Frames MySQL packets.
/// <code>
///  0               3         4
///  +---------------+---------+-------------------------------------------+
///  | payload length| seq id  | payload (length bytes)                    |
///  | (uint24 LE)   | (uint8) | length 0xFFFFFF: continued in next packet |
///  +---------------+---------+-------------------------------------------+
/// </code>
/// </summary>
public static class MySqlPacketReader
{
    public const int HeaderLength = 4;

    /// <summary>
    /// Reads one physical packet. Incomplete input consumes nothing. A declared length above
    /// <paramref name="maxPayloadLength"/> throws as soon as the header is available.
    /// </summary>
    public static OperationStatus TryReadPacket(ref SequenceReader<byte> reader, int maxPayloadLength, out MySqlPacket packet)
    {
        if (!TryPeekHeader(ref reader, 0, out int length, out byte sequenceId))
        {
            packet = default;
            return OperationStatus.NeedMoreData;
        }

        if (length > maxPayloadLength)
        {
            MySqlThrow.TooLarge(length, maxPayloadLength);
        }

        long total = HeaderLength + length;
        if (reader.Remaining < total)
        {
            packet = default;
            return OperationStatus.NeedMoreData;
        }

        packet = new MySqlPacket(sequenceId, reader.Sequence.Slice(reader.Position, total));
        reader.Advance(total);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Reads one logical message, following 0xFFFFFF continuation packets. The running total is checked
    /// against <paramref name="maxMessageLength"/> as each header arrives; sequence ids must be consecutive.
    /// Nothing is consumed until the whole chain is present.
    /// </summary>
    public static OperationStatus TryReadMessage(ref SequenceReader<byte> reader, int maxMessageLength, out MySqlMessage message)
    {
        long offset = 0;
        long payloadTotal = 0;
        int packets = 0;
        byte first = 0;
        while (true)
        {
            if (!TryPeekHeader(ref reader, offset, out int length, out byte sequenceId))
            {
                message = default;
                return OperationStatus.NeedMoreData;
            }

            if (packets == 0)
            {
                first = sequenceId;
            }
            else if (sequenceId != unchecked((byte)(first + packets)))
            {
                MySqlThrow.OutOfOrder(unchecked((byte)(first + packets)), sequenceId);
            }

            payloadTotal += length;
            if (payloadTotal > maxMessageLength)
            {
                MySqlThrow.TooLarge(payloadTotal, maxMessageLength);
            }

            offset += HeaderLength + length;
            packets++;
            if (reader.Remaining < offset)
            {
                message = default;
                return OperationStatus.NeedMoreData;
            }

            if (length < MySqlLimits.MaxPacketPayload)
            {
                break;
            }
        }

        message = new MySqlMessage(first, packets, payloadTotal, reader.Sequence.Slice(reader.Position, offset));
        reader.Advance(offset);
        return OperationStatus.Done;
    }

    private static bool TryPeekHeader(ref SequenceReader<byte> reader, long offset, out int length, out byte sequenceId)
    {
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        if (span.Length >= offset + HeaderLength)
        {
            span = span.Slice((int)offset);
            length = span[0] | (span[1] << 8) | (span[2] << 16);
            sequenceId = span[3];
            return true;
        }

        if (reader.Remaining < offset + HeaderLength)
        {
            length = 0;
            sequenceId = 0;
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderLength];
        reader.UnreadSequence.Slice(offset, HeaderLength).CopyTo(header);
        length = header[0] | (header[1] << 8) | (header[2] << 16);
        sequenceId = header[3];
        return true;
    }
}
