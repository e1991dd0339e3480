using System.Buffers;
using System.Buffers.Binary;

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
    public const int HeaderLength = 5;

    /// <summary>
    /// Reads one frame. <see cref="OperationStatus.NeedMoreData"/> leaves the reader where it was; the
    /// declared length is checked against <paramref name="maxMessageLength"/> as soon as the header is
    /// available. Throws <see cref="PostgresProtocolException"/> on a length below 4 or above the limit.
    /// </summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, int maxMessageLength, out PostgresFrame frame)
    {
        int length;
        byte code;
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        if (span.Length >= HeaderLength)
        {
            code = span[0];
            length = BinaryPrimitives.ReadInt32BigEndian(span.Slice(1));
        }
        else
        {
            Span<byte> header = stackalloc byte[HeaderLength];
            if (!reader.TryCopyTo(header))
            {
                frame = default;
                return OperationStatus.NeedMoreData;
            }

            code = header[0];
            length = BinaryPrimitives.ReadInt32BigEndian(header.Slice(1));
        }

        if (length < 4)
        {
            PostgresThrow.InvalidLength(code, length);
        }

        if (length > maxMessageLength)
        {
            PostgresThrow.TooLong(length, maxMessageLength);
        }

        long total = length + 1L;
        if (reader.Remaining < total)
        {
            frame = default;
            return OperationStatus.NeedMoreData;
        }

        frame = new PostgresFrame(code, reader.Sequence.Slice(reader.Position, total));
        reader.Advance(total);
        return OperationStatus.Done;
    }

    /// <summary>
    /// Reads only the header of the next frame and skips it: the cheapest scan (type and length),
    /// for relays that count or route without looking at the body.
    /// </summary>
    public static OperationStatus TrySkip(ref SequenceReader<byte> reader, int maxMessageLength, out byte code, out int payloadLength)
    {
        int length;
        ReadOnlySpan<byte> span = reader.UnreadSpan;
        if (span.Length >= HeaderLength)
        {
            code = span[0];
            length = BinaryPrimitives.ReadInt32BigEndian(span.Slice(1));
        }
        else
        {
            Span<byte> header = stackalloc byte[HeaderLength];
            if (!reader.TryCopyTo(header))
            {
                code = 0;
                payloadLength = 0;
                return OperationStatus.NeedMoreData;
            }

            code = header[0];
            length = BinaryPrimitives.ReadInt32BigEndian(header.Slice(1));
        }

        if (length < 4)
        {
            PostgresThrow.InvalidLength(code, length);
        }

        if (length > maxMessageLength)
        {
            PostgresThrow.TooLong(length, maxMessageLength);
        }

        if (reader.Remaining < length + 1L)
        {
            payloadLength = 0;
            return OperationStatus.NeedMoreData;
        }

        reader.Advance(length + 1L);
        payloadLength = length - 4;
        return OperationStatus.Done;
    }
}
