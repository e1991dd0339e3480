using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Handshake;

/// <summary>
/// SSLRequest: the first 32 bytes of a HandshakeResponse41, sent in clear before the TLS handshake.
/// <code>
///  +-----------------+------------------+---------+-------------------------------------------+
///  | caps (u32)      | max packet (u32) | charset | filler (19) + MariaDB ext caps (u32)      |
///  | CLIENT_SSL set  |                  | (u8)    |                                           |
///  +-----------------+------------------+---------+-------------------------------------------+
/// </code>
/// </summary>
public readonly struct SslRequest
{
    public const int PayloadLength = 32;

    public SslRequest(MySqlCapabilities capabilities, uint maxPacketSize, byte characterSet, uint mariaDbCapabilities)
    {
        Capabilities = capabilities;
        MaxPacketSize = maxPacketSize;
        CharacterSet = characterSet;
        MariaDbCapabilities = mariaDbCapabilities;
    }

    public MySqlCapabilities Capabilities { get; }

    public uint MaxPacketSize { get; }

    public byte CharacterSet { get; }

    public uint MariaDbCapabilities { get; }

    /// <summary>True when a client's first packet is an SSLRequest rather than a full HandshakeResponse41.</summary>
    public static bool IsSslRequest(in ReadOnlySequence<byte> payload)
    {
        if (payload.Length != PayloadLength)
        {
            return false;
        }

        var r = new MySqlPayloadReader(payload, "SSLRequest");
        return ((MySqlCapabilities)r.ReadUInt32() & MySqlCapabilities.Ssl) != 0;
    }

    public static SslRequest Read(ReadOnlySequence<byte> payload)
    {
        var r = new MySqlPayloadReader(payload, "SSLRequest");
        var caps = (MySqlCapabilities)r.ReadUInt32();
        uint maxPacket = r.ReadUInt32();
        byte charset = r.ReadByte();
        r.Skip(19);
        uint mariaDb = r.ReadUInt32();
        r.ExpectEnd();
        if ((caps & MySqlCapabilities.Ssl) == 0)
        {
            MySqlThrow.Malformed("SSL request without CLIENT_SSL");
        }

        return new SslRequest(caps, maxPacket, charset, mariaDb);
    }

    public static void Write(IBufferWriter<byte> writer, byte sequenceId, MySqlCapabilities capabilities, uint maxPacketSize,
        byte characterSet, uint mariaDbCapabilities = 0)
    {
        // payload = caps (4) + max packet (4) + charset (1) + filler (19) + ext caps (4) = 32
        var w = MySqlWireWriter.Begin(writer, sequenceId, PayloadLength, out int total);
        w.WriteUInt32((uint)(capabilities | MySqlCapabilities.Ssl));
        w.WriteUInt32(maxPacketSize);
        w.WriteByte(characterSet);
        w.WriteZeros(19);
        w.WriteUInt32(mariaDbCapabilities);
        w.Finish(writer, total);
    }
}
