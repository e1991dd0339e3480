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
    public const int HeaderLength = MySqlPacketHeader.Size;

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

    /// <summary>
    /// Reads the header of the packet starting <paramref name="offset"/> bytes into <paramref name="buffer"/>
    /// without consuming anything: for relays that stream payloads through. False when the 4 header bytes
    /// are not all there yet.
    /// </summary>
    public static bool TryPeekHeader(in ReadOnlySequence<byte> buffer, long offset, out MySqlPacketHeader header)
    {
        if (buffer.Length - offset < HeaderLength)
        {
            header = default;
            return false;
        }

        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= offset + HeaderLength)
        {
            header = MySqlPacketHeader.Parse(first.Slice((int)offset));
            return true;
        }

        Span<byte> bytes = stackalloc byte[HeaderLength];
        buffer.Slice(offset, HeaderLength).CopyTo(bytes);
        header = MySqlPacketHeader.Parse(bytes);
        return true;
    }

    private static bool TryPeekHeader(ref SequenceReader<byte> reader, long offset, out int length, out byte sequenceId)
    {
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        MySqlPacketHeader header;
        if (span.Length >= offset + HeaderLength)
        {
            header = MySqlPacketHeader.Parse(span.Slice((int)offset));
        }
        else if (!TryPeekHeader(reader.UnreadSequence, offset, out header))
        {
            length = 0;
            sequenceId = 0;
            return false;
        }

        length = header.PayloadLength;
        sequenceId = header.SequenceId;
        return true;
    }
}
