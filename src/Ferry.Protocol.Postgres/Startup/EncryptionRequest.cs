namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// SSLRequest and GSSENCRequest, and the server's one-byte answers.
/// <code>
///  +------------------+--------------------------------------------+
///  | length = 8       | 80877103 (1234.5679) SSL                   |
///  |                  | 80877104 (1234.5680) GSSENC                |
///  +------------------+--------------------------------------------+
///  answer: 'S' (go ahead with TLS/GSS) or 'N' (refused, send StartupMessage in plaintext)
/// </code>
/// </summary>
public static class EncryptionRequest
{
    /// <summary>The SSLRequest packet: 00 00 00 08 04 d2 16 2f.</summary>
    public static ReadOnlySpan<byte> SslRequest => [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

    /// <summary>The GSSENCRequest packet: 00 00 00 08 04 d2 16 30.</summary>
    public static ReadOnlySpan<byte> GssEncRequest => [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30];

    /// <summary>Answer 'S': encryption accepted.</summary>
    public static ReadOnlySpan<byte> Accept => "S"u8;

    /// <summary>Answer 'N': encryption refused.</summary>
    public static ReadOnlySpan<byte> Refuse => "N"u8;
}
