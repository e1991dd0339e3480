using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Handshake;

/// <summary>
/// HandshakeResponse41: who connects (user, schema) for the RBAC check, and how.
/// <code>
///  +-----------+------------------+---------+---------------------------------+---------+
///  | caps u32  | max packet u32   | charset | filler 19 + MariaDB ext caps u32 | user\0  |
///  +-----------+------------------+---------+---------------------------------+---------+
///  | auth response: lenenc (PLUGIN_AUTH_LENENC) | u8 len (SECURE_CONNECTION) | NUL-terminated |
///  +-------------------------------------------------------------------------------------------+
///  | schema\0 (CONNECT_WITH_DB) | plugin\0 (PLUGIN_AUTH) | lenenc attrs length + lenenc k/v pairs |
///  |                            |                        | (CONNECT_ATTRS) | zstd level u8 (ZSTD)  |
///  +-------------------------------------------------------------------------------------------+
/// </code>
/// </summary>
public readonly struct HandshakeResponse41
{
    private readonly ReadOnlySequence<byte> _attributes;

    private HandshakeResponse41(MySqlCapabilities capabilities, uint maxPacketSize, byte characterSet, uint mariaDbCapabilities,
        ReadOnlySequence<byte> user, ReadOnlySequence<byte> authResponse, bool hasSchema, ReadOnlySequence<byte> schema,
        ReadOnlySequence<byte> authPluginName, ReadOnlySequence<byte> attributes, byte zstdLevel)
    {
        Capabilities = capabilities;
        MaxPacketSize = maxPacketSize;
        CharacterSet = characterSet;
        MariaDbCapabilities = mariaDbCapabilities;
        User = user;
        AuthResponse = authResponse;
        HasSchema = hasSchema;
        Schema = schema;
        AuthPluginName = authPluginName;
        _attributes = attributes;
        ZstdCompressionLevel = zstdLevel;
    }

    public MySqlCapabilities Capabilities { get; }

    public uint MaxPacketSize { get; }

    public byte CharacterSet { get; }

    public uint MariaDbCapabilities { get; }

    public ReadOnlySequence<byte> User { get; }

    public ReadOnlySequence<byte> AuthResponse { get; }

    public bool HasSchema { get; }

    public ReadOnlySequence<byte> Schema { get; }

    public ReadOnlySequence<byte> AuthPluginName { get; }

    public byte ZstdCompressionLevel { get; }

    public ConnectAttributeEnumerator ConnectAttributes => new(_attributes);

    /// <summary>
    /// The capability flags a client's first packet (HandshakeResponse41 or SSLRequest) starts with, without
    /// validating the rest: enough to answer even a malformed one with an ERR it can read. A payload too short
    /// to hold them yields <see cref="MySqlCapabilities.Protocol41"/>.
    /// </summary>
    public static MySqlCapabilities PeekCapabilities(in ReadOnlySequence<byte> payload)
    {
        if (payload.Length < 4)
        {
            return MySqlCapabilities.Protocol41;
        }

        var r = new MySqlPayloadReader(payload, "HandshakeResponse41");
        return (MySqlCapabilities)r.ReadUInt32();
    }

    public static HandshakeResponse41 Read(ReadOnlySequence<byte> payload)
    {
        var r = new MySqlPayloadReader(payload, "HandshakeResponse41");
        var caps = (MySqlCapabilities)r.ReadUInt32();
        if ((caps & MySqlCapabilities.Protocol41) == 0)
        {
            MySqlThrow.Malformed("client does not speak protocol 4.1");
        }

        uint maxPacket = r.ReadUInt32();
        byte charset = r.ReadByte();
        r.Skip(19);
        uint mariaDb = r.ReadUInt32();
        ReadOnlySequence<byte> user = r.ReadNullTerminated();
        ReadOnlySequence<byte> auth;
        if ((caps & MySqlCapabilities.PluginAuthLenencClientData) != 0)
        {
            auth = r.ReadLengthEncodedString();
        }
        else if ((caps & MySqlCapabilities.SecureConnection) != 0)
        {
            auth = r.ReadBytes(r.ReadByte());
        }
        else
        {
            auth = r.ReadNullTerminated();
        }

        ReadOnlySequence<byte> schema = default, plugin = default, attributes = default;
        bool hasSchema = (caps & MySqlCapabilities.ConnectWithDb) != 0;
        if (hasSchema)
        {
            schema = r.ReadNullTerminatedOrRest();
        }

        if ((caps & MySqlCapabilities.PluginAuth) != 0 && !r.End)
        {
            plugin = r.ReadNullTerminatedOrRest();
        }

        if ((caps & MySqlCapabilities.ConnectAttrs) != 0 && !r.End)
        {
            attributes = r.ReadLengthEncodedString();
            ConnectAttributeEnumerator.Validate(attributes);
        }

        byte zstd = 0;
        if ((caps & MySqlCapabilities.ZstdCompressionAlgorithm) != 0 && !r.End)
        {
            zstd = r.ReadByte();
        }

        r.ExpectEnd();
        return new HandshakeResponse41(caps, maxPacket, charset, mariaDb, user, auth, hasSchema, schema, plugin, attributes, zstd);
    }

    /// <summary>
    /// Writes a HandshakeResponse41. The auth response is length-encoded when the capabilities say so, else
    /// 1-byte-length prefixed; schema, plugin and attributes are written when their capability is set.
    /// </summary>
    public static void Write(IBufferWriter<byte> writer, byte sequenceId, MySqlCapabilities capabilities, uint maxPacketSize,
        byte characterSet, ReadOnlySpan<byte> user, ReadOnlySpan<byte> authResponse, ReadOnlySpan<byte> schema,
        ReadOnlySpan<byte> authPluginName, ReadOnlySpan<KeyValuePair<string, string>> attributes, uint mariaDbCapabilities = 0)
    {
        capabilities |= MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection;
        bool lenenc = (capabilities & MySqlCapabilities.PluginAuthLenencClientData) != 0;
        if (!lenenc && authResponse.Length > 255)
        {
            throw new ArgumentException("an auth response over 255 bytes needs PluginAuthLenencClientData", nameof(authResponse));
        }

        int attributesLength = 0;
        foreach (KeyValuePair<string, string> a in attributes)
        {
            attributesLength += MySqlWireWriter.LengthEncodedStringSize(System.Text.Encoding.UTF8.GetByteCount(a.Key))
                + MySqlWireWriter.LengthEncodedStringSize(System.Text.Encoding.UTF8.GetByteCount(a.Value));
        }

        // payload = caps (4) + max packet (4) + charset (1) + filler (19) + ext caps (4) + user\0 + auth [+ schema\0]
        //         [+ plugin\0] [+ lenenc attrs length + attrs]
        int payload = 4 + 4 + 1 + 19 + 4 + MySqlWireWriter.NullTerminatedSize(user)
            + (lenenc ? MySqlWireWriter.LengthEncodedStringSize(authResponse.Length) : 1 + authResponse.Length)
            + ((capabilities & MySqlCapabilities.ConnectWithDb) != 0 ? MySqlWireWriter.NullTerminatedSize(schema) : 0)
            + ((capabilities & MySqlCapabilities.PluginAuth) != 0 ? MySqlWireWriter.NullTerminatedSize(authPluginName) : 0)
            + ((capabilities & MySqlCapabilities.ConnectAttrs) != 0 ? MySqlWireWriter.LengthEncodedStringSize(attributesLength) : 0);
        var w = MySqlWireWriter.Begin(writer, sequenceId, payload, out int total);
        w.WriteUInt32((uint)capabilities);
        w.WriteUInt32(maxPacketSize);
        w.WriteByte(characterSet);
        w.WriteZeros(19);
        w.WriteUInt32(mariaDbCapabilities);
        w.WriteNullTerminated(user);
        if (lenenc)
        {
            w.WriteLengthEncodedString(authResponse);
        }
        else
        {
            w.WriteByte((byte)authResponse.Length);
            w.WriteBytes(authResponse);
        }

        if ((capabilities & MySqlCapabilities.ConnectWithDb) != 0)
        {
            w.WriteNullTerminated(schema);
        }

        if ((capabilities & MySqlCapabilities.PluginAuth) != 0)
        {
            w.WriteNullTerminated(authPluginName);
        }

        if ((capabilities & MySqlCapabilities.ConnectAttrs) != 0)
        {
            w.WriteLengthEncoded((ulong)attributesLength);
            foreach (KeyValuePair<string, string> a in attributes)
            {
                w.WriteLengthEncoded((ulong)System.Text.Encoding.UTF8.GetByteCount(a.Key));
                w.WriteUtf8(a.Key);
                w.WriteLengthEncoded((ulong)System.Text.Encoding.UTF8.GetByteCount(a.Value));
                w.WriteUtf8(a.Value);
            }
        }

        w.Finish(writer, total);
    }
}
