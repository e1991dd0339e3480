using Ferry.Protocol.MySql.Packets;

namespace Ferry.Agent.MySql;

/// <summary>A logged-in connection to a MySQL/MariaDB server, and what its handshake said.</summary>
internal sealed record MySqlBackendConnection(Stream Stream, uint ThreadId, string ServerVersion, MySqlCapabilities Capabilities, byte[] OkPayload)
{
    /// <summary>The server's default collation id, from its greeting.</summary>
    public byte Collation { get; init; }
}
