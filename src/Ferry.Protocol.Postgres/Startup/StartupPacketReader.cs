using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// Frames the untyped startup packet.
/// <code>
///  0                 4                 8
///  +-----------------+-----------------+--------------------------------------+
///  | length (int32)  | code (int32)    | payload (length - 8 bytes)           |
///  +-----------------+-----------------+--------------------------------------+
///  code: 3.x protocol version | 1234.5679 SSL | 1234.5680 GSSENC | 1234.5678 cancel
/// </code>
/// </summary>
public static class StartupPacketReader
{
    public const int HeaderLength = 8;

    /// <summary>
    /// Reads one startup-family packet, no more than <paramref name="maxLength"/> bytes (PostgreSQL's
    /// limit is 10,000). Incomplete input consumes nothing. Throws <see cref="PostgresProtocolException"/>
    /// for bad lengths, unknown request codes and protocol majors other than 3.
    /// </summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, out StartupPacket packet, int maxLength = PostgresLimits.MaxStartupPacketLength)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        if (!reader.TryCopyTo(header.Slice(0, 4)))
        {
            packet = default;
            return OperationStatus.NeedMoreData;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < HeaderLength || length > maxLength)
        {
            PostgresThrow.InvalidStartupLength(length);
        }

        if (!reader.TryCopyTo(header))
        {
            packet = default;
            return OperationStatus.NeedMoreData;
        }

        int code = BinaryPrimitives.ReadInt32BigEndian(header.Slice(4));
        StartupPacketKind kind = Classify(code, length);
        if (reader.Remaining < length)
        {
            packet = default;
            return OperationStatus.NeedMoreData;
        }

        packet = new StartupPacket(kind, code, reader.UnreadSequence.Slice(0, length));
        reader.Advance(length);
        return OperationStatus.Done;
    }

    private static StartupPacketKind Classify(int code, int length)
    {
        switch (code)
        {
            case StartupCodes.SslRequest:
                ExpectLength(length, length == HeaderLength);
                return StartupPacketKind.SslRequest;
            case StartupCodes.GssEncRequest:
                ExpectLength(length, length == HeaderLength);
                return StartupPacketKind.GssEncRequest;
            case StartupCodes.CancelRequest:
                // process id (4) + secret key (4 bytes in 3.0, up to 256 in 3.2)
                ExpectLength(length, length >= HeaderLength + 4 + CancelRequest.MinKeyLength
                    && length <= HeaderLength + 4 + CancelRequest.MaxKeyLength);
                return StartupPacketKind.CancelRequest;
            default:
                if (code >> 16 != 3)
                {
                    PostgresThrow.UnsupportedProtocol((uint)code);
                }

                return StartupPacketKind.StartupMessage;
        }
    }

    private static void ExpectLength(int length, bool ok)
    {
        if (!ok)
        {
            PostgresThrow.InvalidStartupLength(length);
        }
    }
}
