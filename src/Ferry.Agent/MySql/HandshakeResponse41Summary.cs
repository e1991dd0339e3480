using System.Buffers;
using System.Text;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Agent.MySql;

/// <summary>The parts of the client's HandshakeResponse41 the agent uses, copied out of the packet.</summary>
internal sealed record HandshakeResponse41Summary(MySqlCapabilities Capabilities, uint MaxPacketSize, byte CharacterSet, string User, string Schema, string AuthPlugin)
{
    public static HandshakeResponse41Summary Read(byte[] payload)
    {
        var r = HandshakeResponse41.Read(new ReadOnlySequence<byte>(payload));
        return new HandshakeResponse41Summary(r.Capabilities, r.MaxPacketSize, r.CharacterSet,
            Encoding.UTF8.GetString(r.User), r.HasSchema ? Encoding.UTF8.GetString(r.Schema) : "", Encoding.ASCII.GetString(r.AuthPluginName));
    }
}
