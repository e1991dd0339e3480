using System.Buffers.Binary;

namespace Ferry.Contracts;

/// <summary>
/// The MySQL half of the tunnel stream header (<see cref="StreamHeader.Extra"/> of a <see cref="StreamKind.MySql"/>
/// stream). Ferry's own record, not MySQL's: what the proxy learned while it played the server's part of the
/// handshake, passed to the agent. The agent answers the client with OK or
/// ERR at <see cref="NextSequenceId"/>, then relays commands.
/// <code>
///  +-------------+-----------------+--------------------+----------------------------------------+
///  | version u8  | next seq id u8  | connection id u32  | client's HandshakeResponse41 payload   |
///  | (1)         |                 | (LE, the greeting) | (rest)                                 |
///  +-------------+-----------------+--------------------+----------------------------------------+
/// </code>
/// </summary>
public sealed record ProxyHandshakePrelude(byte NextSequenceId, uint ConnectionId, byte[] HandshakeResponse)
{
    private const byte Version = 1;
    private const int FixedLength = 1 + 1 + 4;

    public byte[] Encode()
    {
        var buffer = new byte[FixedLength + HandshakeResponse.Length];
        buffer[0] = Version;
        buffer[1] = NextSequenceId;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(2), ConnectionId);
        HandshakeResponse.CopyTo(buffer.AsSpan(FixedLength));
        return buffer;
    }

    /// <summary>Decodes a prelude; throws <see cref="InvalidDataException"/> when it is not one, as <see cref="StreamHeader"/> does.</summary>
    public static ProxyHandshakePrelude Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < FixedLength || bytes[0] != Version)
        {
            throw new InvalidDataException("the proxy's MySQL handshake record is missing or of an unknown version");
        }
        return new ProxyHandshakePrelude(bytes[1], BinaryPrimitives.ReadUInt32LittleEndian(bytes[2..]), bytes[FixedLength..].ToArray());
    }
}
