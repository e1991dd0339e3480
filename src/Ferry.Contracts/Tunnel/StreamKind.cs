namespace Ferry.Contracts;

/// <summary>What a tunnel stream carries; the first byte after the stream header magic.</summary>
public enum StreamKind : byte
{
    /// <summary>A PostgreSQL session: the client's frames from StartupMessage on.</summary>
    Postgres = (byte)'P',

    /// <summary>A MySQL session: the client's HandshakeResponse41 (as received by the proxy) follows.</summary>
    MySql = (byte)'M',

    /// <summary>A PostgreSQL CancelRequest for a session this agent minted the key of.</summary>
    PostgresCancel = (byte)'C',

    /// <summary>Agent to proxy: heartbeats with the database inventory (JSON lines).</summary>
    Heartbeat = (byte)'H',
}
