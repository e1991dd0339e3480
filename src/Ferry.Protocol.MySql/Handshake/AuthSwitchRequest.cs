using System.Buffers;

namespace Ferry.Protocol.MySql.Handshake;

/// <summary>
/// AuthSwitchRequest: the server asks the client to authenticate with another plugin.
/// <code>
///  +------+----------------+--------------------------------------+
///  | 0xfe | plugin name\0  | plugin data (nonce, often NUL-ended) |
///  +------+----------------+--------------------------------------+
/// </code>
/// </summary>
public readonly struct AuthSwitchRequest
{
    public const byte Header = 0xFE;

    public AuthSwitchRequest(ReadOnlySequence<byte> pluginName, ReadOnlySequence<byte> pluginData)
    {
        PluginName = pluginName;
        PluginData = pluginData;
    }

    public ReadOnlySequence<byte> PluginName { get; }

    public ReadOnlySequence<byte> PluginData { get; }

    public static AuthSwitchRequest Read(ReadOnlySequence<byte> payload)
    {
        var r = new MySqlPayloadReader(payload, "AuthSwitchRequest");
        if (r.ReadByte() != Header)
        {
            MySqlThrow.Malformed("AuthSwitchRequest header");
        }

        ReadOnlySequence<byte> name = r.ReadNullTerminated();
        return new AuthSwitchRequest(name, r.ReadRest());
    }

    public static void Write(IBufferWriter<byte> writer, byte sequenceId, ReadOnlySpan<byte> pluginName, ReadOnlySpan<byte> pluginData)
    {
        // payload = 0xfe (1) + plugin\0 + data
        int payload = 1 + MySqlWireWriter.NullTerminatedSize(pluginName) + pluginData.Length;
        var w = MySqlWireWriter.Begin(writer, sequenceId, payload, out int total);
        w.WriteByte(Header);
        w.WriteNullTerminated(pluginName);
        w.WriteBytes(pluginData);
        w.Finish(writer, total);
    }
}
