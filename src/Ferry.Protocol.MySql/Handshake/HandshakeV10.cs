using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Handshake;

/// <summary>
/// Initial handshake (server greets first). The proxy writes it, advertising the real server version.
/// <code>
///  +------+------------------+---------+--------------+------+-----------+---------+--------+-----------+
///  | 0x0a | server version\0 | conn id | auth data 1  | 0x00 | caps low  | charset | status | caps high |
///  |      |                  | u32     | (8 bytes)    |      | u16       | u8      | u16    | u16       |
///  +------+------------------+---------+--------------+------+-----------+---------+--------+-----------+
///  | auth data len u8 | 6 filler | 4: MariaDB ext caps / 0 | auth data 2 (max(13, len-8)) | plugin\0  |
///  +------------------+----------+-------------------------+------------------------------+-----------+
/// </code>
/// </summary>
public readonly struct HandshakeV10
{
    /// <summary>Length of the nonce (scramble) every modern server sends.</summary>
    public const int ScrambleLength = 20;

    public HandshakeV10(ReadOnlySequence<byte> serverVersion, uint connectionId, ReadOnlySequence<byte> authPluginDataPart1,
        ReadOnlySequence<byte> authPluginDataPart2, MySqlCapabilities capabilities, byte characterSet, ushort statusFlags, uint mariaDbCapabilities, ReadOnlySequence<byte> authPluginName)
    {
        ServerVersion = serverVersion;
        ConnectionId = connectionId;
        AuthPluginDataPart1 = authPluginDataPart1;
        AuthPluginDataPart2 = authPluginDataPart2;
        Capabilities = capabilities;
        CharacterSet = characterSet;
        StatusFlags = statusFlags;
        MariaDbCapabilities = mariaDbCapabilities;
        AuthPluginName = authPluginName;
    }

    public ReadOnlySequence<byte> ServerVersion { get; }

    public uint ConnectionId { get; }

    /// <summary>First 8 bytes of the nonce.</summary>
    public ReadOnlySequence<byte> AuthPluginDataPart1 { get; }

    /// <summary>Rest of the nonce, without its trailing NUL (12 bytes normally).</summary>
    public ReadOnlySequence<byte> AuthPluginDataPart2 { get; }

    /// <summary>Length of the whole nonce (part 1 + part 2).</summary>
    public int ScrambleByteCount => (int)(AuthPluginDataPart1.Length + AuthPluginDataPart2.Length);

    /// <summary>Copies the nonce (part 1 then part 2) into <paramref name="destination"/>; returns its length.</summary>
    public int CopyScrambleTo(Span<byte> destination)
    {
        AuthPluginDataPart1.CopyTo(destination);
        AuthPluginDataPart2.CopyTo(destination.Slice((int)AuthPluginDataPart1.Length));
        return ScrambleByteCount;
    }

    public MySqlCapabilities Capabilities { get; }

    public byte CharacterSet { get; }

    public ushort StatusFlags { get; }

    /// <summary>MariaDB's extended capabilities (when the CLIENT_MYSQL bit, LongPassword, is clear).</summary>
    public uint MariaDbCapabilities { get; }

    public ReadOnlySequence<byte> AuthPluginName { get; }

    public static HandshakeV10 Read(ReadOnlySequence<byte> payload)
    {
        var r = new MySqlPayloadReader(payload, "HandshakeV10");
        byte protocol = r.ReadByte();
        if (protocol != 10)
        {
            MySqlThrow.Malformed($"handshake protocol version {protocol}");
        }

        ReadOnlySequence<byte> version = r.ReadNullTerminated();
        uint connectionId = r.ReadUInt32();
        ReadOnlySequence<byte> part1 = r.ReadBytes(8);
        r.Skip(1);
        uint caps = r.ReadUInt16();
        byte charset = 0;
        ushort status = 0;
        uint mariaDb = 0;
        ReadOnlySequence<byte> part2 = default;
        ReadOnlySequence<byte> plugin = default;
        if (!r.End)
        {
            charset = r.ReadByte();
            status = r.ReadUInt16();
            caps |= (uint)r.ReadUInt16() << 16;
            byte authLength = r.ReadByte();
            r.Skip(6);
            uint extended = r.ReadUInt32();
            if ((caps & (uint)MySqlCapabilities.LongPassword) == 0)
            {
                mariaDb = extended;
            }

            if ((caps & (uint)MySqlCapabilities.SecureConnection) != 0)
            {
                int part2Length = Math.Max(13, authLength - 8);
                part2 = r.ReadBytes(part2Length);
                if (EndsWithNul(part2))
                {
                    part2 = part2.Slice(0, part2.Length - 1);
                }
            }

            if ((caps & (uint)MySqlCapabilities.PluginAuth) != 0)
            {
                plugin = r.ReadNullTerminatedOrRest();
            }
        }

        return new HandshakeV10(version, connectionId, part1, part2, (MySqlCapabilities)caps, charset, status, mariaDb, plugin);
    }

    /// <summary>
    /// Writes the greeting. <paramref name="scramble"/> is the 20-byte nonce; <paramref name="authPluginName"/>
    /// e.g. "mysql_native_password" or "caching_sha2_password".
    /// </summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> serverVersion, uint connectionId, ReadOnlySpan<byte> scramble,
        MySqlCapabilities capabilities, byte characterSet, ushort statusFlags, ReadOnlySpan<byte> authPluginName, uint mariaDbCapabilities = 0)
    {
        if (scramble.Length < 8)
        {
            throw new ArgumentException("the scramble is at least 8 bytes", nameof(scramble));
        }

        capabilities |= MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection | MySqlCapabilities.PluginAuth;
        int part2Length = Math.Max(13, scramble.Length - 8 + 1);
        // payload = protocol (1) + version\0 + conn id (4) + part1 (8) + filler (1) + caps low (2) + charset (1)
        //         + status (2) + caps high (2) + auth len (1) + filler (6) + ext caps (4) + part2 + plugin\0
        int payload = 1 + MySqlWireWriter.NullTerminatedSize(serverVersion) + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 6 + 4
            + part2Length + MySqlWireWriter.NullTerminatedSize(authPluginName);
        var w = MySqlWireWriter.Begin(writer, 0, payload, out int total);
        w.WriteByte(10);
        w.WriteNullTerminated(serverVersion);
        w.WriteUInt32(connectionId);
        w.WriteBytes(scramble.Slice(0, 8));
        w.WriteByte(0);
        w.WriteUInt16((ushort)capabilities);
        w.WriteByte(characterSet);
        w.WriteUInt16(statusFlags);
        w.WriteUInt16((ushort)((uint)capabilities >> 16));
        w.WriteByte((byte)(scramble.Length + 1));
        w.WriteZeros(6);
        w.WriteUInt32((capabilities & MySqlCapabilities.LongPassword) == 0 ? mariaDbCapabilities : 0);
        w.WriteBytes(scramble.Slice(8));
        w.WriteZeros(part2Length - (scramble.Length - 8));
        w.WriteNullTerminated(authPluginName);
        w.Finish(writer, total);
    }

    private static bool EndsWithNul(in ReadOnlySequence<byte> part2)
    {
        Span<byte> last = stackalloc byte[1];
        part2.Slice(part2.Length - 1).CopyTo(last);
        return last[0] == 0;
    }
}
