namespace Ferry.Protocol.Postgres;

/// <summary>
/// Largest declared message lengths accepted. A length above the limit is rejected as soon as the
/// 5-byte header arrives, before any of the body is awaited.
/// </summary>
public static class PostgresLimits
{
    /// <summary>PostgreSQL's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH).</summary>
    public const int MaxStartupPacketLength = 10_000;

    /// <summary>Limit before authentication completes (password and SASL messages are small).</summary>
    public const int MaxPreAuthMessageLength = 10_000;

    /// <summary>
    /// Limit on the server's messages up to the first ReadyForQuery (authentication, ParameterStatus,
    /// BackendKeyData, notices, errors), which a proxy reads whole.
    /// </summary>
    public const int MaxStartupResponseLength = 100 * MaxPreAuthMessageLength;

    /// <summary>Default limit after authentication: the server's own 1 GB field limit.</summary>
    public const int DefaultMaxMessageLength = 0x3FFF_FFFF;
}
