using System.Buffers;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// Frames regular messages (every message after the startup packet, both directions).
/// <code>
///  0        1                 5
///  +--------+-----------------+---------------------------+
///  |  type  | length (int32)  | body (length - 4 bytes)   |
///  +--------+-----------------+---------------------------+
///            length counts itself but not the type byte
/// </code>
/// </summary>
public static class PostgresFrameReader
{
    public const int HeaderLength = PostgresFrameHeader.Size;

    /// <summary>
    /// Reads one frame. <see cref="OperationStatus.NeedMoreData"/> leaves the reader where it was; the
    /// declared length is checked against <paramref name="maxMessageLength"/> as soon as the header is
    /// available. Throws <see cref="PostgresProtocolException"/> on a length below 4 or above the limit.
    /// </summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, int maxMessageLength, out PostgresFrame frame)
    {
        if (TryPeekHeader(ref reader, maxMessageLength, out PostgresFrameHeader header) != OperationStatus.Done
            || reader.Remaining < header.FrameLength)
        {
            frame = default;
            return OperationStatus.NeedMoreData;
        }

        frame = new PostgresFrame(header.Code, reader.Sequence.Slice(reader.Position, header.FrameLength));
        reader.Advance(header.FrameLength);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Reads only the header of the next frame and skips it: the cheapest scan (type and length),
    /// for relays that count or route without looking at the body.
    /// </summary>
    public static OperationStatus TrySkip(ref SequenceReader<byte> reader, int maxMessageLength, out byte code, out int payloadLength)
    {
        if (TryPeekHeader(ref reader, maxMessageLength, out PostgresFrameHeader header) != OperationStatus.Done
            || reader.Remaining < header.FrameLength)
        {
            code = 0;
            payloadLength = 0;
            return OperationStatus.NeedMoreData;
        }

        reader.Advance(header.FrameLength);
        code = header.Code;
        payloadLength = header.PayloadLength;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Validates the header of the next frame without consuming anything: for relays that stream a
    /// body through without holding it. Needs only the 5 header bytes; throws
    /// <see cref="PostgresProtocolException"/> on a length below 4 or above <paramref name="maxMessageLength"/>.
    /// </summary>
    public static OperationStatus TryPeekHeader(ref SequenceReader<byte> reader, int maxMessageLength, out PostgresFrameHeader header)
    {
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        if (span.Length >= HeaderLength)
        {
            header = PostgresFrameHeader.Parse(span, maxMessageLength);
            return OperationStatus.Done;
        }

        Span<byte> bytes = stackalloc byte[HeaderLength];
        if (!reader.TryCopyTo(bytes))
        {
            header = default;
            return OperationStatus.NeedMoreData;
        }

        header = PostgresFrameHeader.Parse(bytes, maxMessageLength);
        return OperationStatus.Done;
    }
}
