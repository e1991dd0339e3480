namespace Ferry.Protocol.MySql;

/// <summary>
/// Largest payloads accepted; a declared length above the limit is rejected as soon as the 4-byte
/// header arrives, before the body is awaited.
/// </summary>
public static class MySqlLimits
{
    /// <summary>
    /// Before authentication: a HandshakeResponse41 is user + 255-byte auth data + schema + plugin +
    /// connect attributes (servers cap those at 64 KiB).
    /// </summary>
    public const int MaxPreAuthPayloadLength = 64 * 1024 + 4096;

    /// <summary>Default after authentication: MySQL 8's max_allowed_packet default (64 MiB).</summary>
    public const int DefaultMaxMessageLength = 64 * 1024 * 1024;

    /// <summary>A payload of exactly this length is continued in the next packet.</summary>
    public const int MaxPacketPayload = 0xFF_FFFF;
}
