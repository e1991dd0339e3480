using System.Buffers.Binary;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// The 5-byte header of a regular message, validated.
/// <code>
///  0        1                 5
///  +--------+-----------------+
///  |  type  | length (int32)  |   length counts itself (4) and the body, not the type byte
///  +--------+-----------------+
/// </code>
/// </summary>
/// <param name="Code">The type byte (see <see cref="Frontend.FrontendMessageCode"/> and <see cref="Backend.BackendMessageCode"/>).</param>
/// <param name="Length">The declared length: 4 + body.</param>
public readonly record struct PostgresFrameHeader(byte Code, int Length)
{
    public const int Size = 5;

    /// <summary>Body length in bytes (declared length minus the 4 bytes of the length itself).</summary>
    public int PayloadLength => Length - 4;

    /// <summary>The whole frame on the wire: type byte, length, body.</summary>
    public long FrameLength => Length + 1L;

    /// <summary>
    /// Parses the first <see cref="Size"/> bytes of <paramref name="header"/>. Throws
    /// <see cref="PostgresProtocolException"/> for a declared length below 4 or above <paramref name="maxMessageLength"/>.
    /// </summary>
    public static PostgresFrameHeader Parse(ReadOnlySpan<byte> header, int maxMessageLength)
    {
        byte code = header[0];
        int length = BinaryPrimitives.ReadInt32BigEndian(header.Slice(1, 4));
        if (length < 4)
        {
            PostgresThrow.InvalidLength(code, length);
        }

        if (length > maxMessageLength)
        {
            PostgresThrow.TooLong(length, maxMessageLength);
        }

        return new PostgresFrameHeader(code, length);
    }

    /// <summary>Writes the header of a message of <paramref name="payloadLength"/> body bytes.</summary>
    public static void WriteTo(Span<byte> destination, byte code, int payloadLength)
    {
        destination[0] = code;
        BinaryPrimitives.WriteInt32BigEndian(destination.Slice(1, 4), 4 + payloadLength); // length = itself (4) + body
    }
}
