using System.Buffers.Binary;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// The 8-byte header of a startup-family packet, validated and classified.
/// <code>
///  0                 4                 8
///  +-----------------+-----------------+
///  | length (int32)  | code (int32)    |   code: 3.x protocol version | 1234.5679 SSL
///  +-----------------+-----------------+         | 1234.5680 GSSENC | 1234.5678 cancel
/// </code>
/// </summary>
/// <param name="Kind">What the packet asks for.</param>
/// <param name="Code">The protocol version or request code.</param>
/// <param name="Length">The whole packet's length, header included.</param>
public readonly record struct StartupPacketHeader(StartupPacketKind Kind, int Code, int Length)
{
    public const int Size = 8;

    /// <summary>
    /// Checks the declared length in the first 4 bytes: at least <see cref="Size"/>, at most
    /// <paramref name="maxLength"/>. Throws <see cref="PostgresProtocolException"/> otherwise.
    /// </summary>
    public static int ParseLength(ReadOnlySpan<byte> header, int maxLength)
    {
        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < Size || length > maxLength)
        {
            PostgresThrow.InvalidStartupLength(length);
        }

        return length;
    }

    /// <summary>
    /// Parses the first <see cref="Size"/> bytes of <paramref name="header"/>. Throws
    /// <see cref="PostgresProtocolException"/> for a bad length (over <paramref name="maxLength"/>, or
    /// not the one its request code requires) and for protocol majors other than 3.
    /// </summary>
    public static StartupPacketHeader Parse(ReadOnlySpan<byte> header, int maxLength = PostgresLimits.MaxStartupPacketLength)
    {
        int length = ParseLength(header, maxLength);
        int code = BinaryPrimitives.ReadInt32BigEndian(header.Slice(4, 4));
        return new StartupPacketHeader(Classify(code, length), code, length);
    }

    private static StartupPacketKind Classify(int code, int length)
    {
        switch (code)
        {
            case StartupCodes.SslRequest:
                ExpectLength(length, length == Size);
                return StartupPacketKind.SslRequest;
            case StartupCodes.GssEncRequest:
                ExpectLength(length, length == Size);
                return StartupPacketKind.GssEncRequest;
            case StartupCodes.CancelRequest:
                // process id (4) + secret key (4 bytes in 3.0, up to 256 in 3.2)
                ExpectLength(length, length >= Size + 4 + CancelRequest.MinKeyLength
                    && length <= Size + 4 + CancelRequest.MaxKeyLength);
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
