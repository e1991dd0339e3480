using System.Buffers;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// COM_CHANGE_USER: read so the proxy can audit and refuse it (it would switch users around RBAC).
/// <code>
///  +------+--------+------------------------------------+----------+---------------+-----------+--------------+
///  | 0x11 | user\0 | auth: u8 len + data (SECURE_CONN)  | schema\0 | charset u16   | plugin\0  | attrs lenenc |
///  |      |        |       else NUL-terminated          |          | (if present)  | (PLUGIN)  | (ATTRS)      |
///  +------+--------+------------------------------------+----------+---------------+-----------+--------------+
/// </code>
/// </summary>
public readonly struct ComChangeUser
{
    private readonly ReadOnlySequence<byte> _attributes;

    private ComChangeUser(ReadOnlySequence<byte> user, ReadOnlySequence<byte> authResponse, ReadOnlySequence<byte> schema,
        ushort characterSet, ReadOnlySequence<byte> authPluginName, ReadOnlySequence<byte> attributes)
    {
        User = user;
        AuthResponse = authResponse;
        Schema = schema;
        CharacterSet = characterSet;
        AuthPluginName = authPluginName;
        _attributes = attributes;
    }

    public ReadOnlySequence<byte> User { get; }

    public ReadOnlySequence<byte> AuthResponse { get; }

    public ReadOnlySequence<byte> Schema { get; }

    public ushort CharacterSet { get; }

    public ReadOnlySequence<byte> AuthPluginName { get; }

    public ConnectAttributeEnumerator ConnectAttributes => new(_attributes);

    public static ComChangeUser Read(ReadOnlySequence<byte> payload, MySqlCapabilities capabilities)
    {
        MySqlPayloadReader r = MySqlCommand.Open(payload, CommandCode.ChangeUser, "COM_CHANGE_USER");
        ReadOnlySequence<byte> user = r.ReadNullTerminated();
        ReadOnlySequence<byte> auth = (capabilities & MySqlCapabilities.SecureConnection) != 0
            ? r.ReadBytes(r.ReadByte())
            : r.ReadNullTerminated();
        ReadOnlySequence<byte> schema = r.ReadNullTerminated();
        ushort charset = 0;
        ReadOnlySequence<byte> plugin = default, attributes = default;
        if (!r.End)
        {
            charset = r.ReadUInt16();
            if ((capabilities & MySqlCapabilities.PluginAuth) != 0 && !r.End)
            {
                plugin = r.ReadNullTerminated();
            }

            if ((capabilities & MySqlCapabilities.ConnectAttrs) != 0 && !r.End)
            {
                attributes = r.ReadLengthEncodedString();
                ConnectAttributeEnumerator.Validate(attributes);
            }
        }

        r.ExpectEnd();
        return new ComChangeUser(user, auth, schema, charset, plugin, attributes);
    }

    /// <summary>Writes COM_CHANGE_USER with SECURE_CONNECTION auth data, charset and plugin (no attributes).</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> user, ReadOnlySpan<byte> authResponse, ReadOnlySpan<byte> schema,
        ushort characterSet, ReadOnlySpan<byte> authPluginName)
    {
        if (authResponse.Length > 255)
        {
            throw new ArgumentException("auth response over 255 bytes", nameof(authResponse));
        }

        // payload = code (1) + user\0 + auth len (1) + auth + schema\0 + charset (2) + plugin\0
        int payload = 1 + MySqlWireWriter.NullTerminatedSize(user) + 1 + authResponse.Length + MySqlWireWriter.NullTerminatedSize(schema)
            + 2 + MySqlWireWriter.NullTerminatedSize(authPluginName);
        var w = MySqlWireWriter.Begin(writer, 0, payload, out int total);
        w.WriteByte((byte)CommandCode.ChangeUser);
        w.WriteNullTerminated(user);
        w.WriteByte((byte)authResponse.Length);
        w.WriteBytes(authResponse);
        w.WriteNullTerminated(schema);
        w.WriteUInt16(characterSet);
        w.WriteNullTerminated(authPluginName);
        w.Finish(writer, total);
    }
}
