namespace Ferry.Protocol.Postgres.Startup;

/// <summary>Request codes in the version field of an untyped startup packet.</summary>
public static class StartupCodes
{
    /// <summary>1234.5678</summary>
    public const int CancelRequest = (1234 << 16) | 5678;

    /// <summary>1234.5679</summary>
    public const int SslRequest = (1234 << 16) | 5679;

    /// <summary>1234.5680</summary>
    public const int GssEncRequest = (1234 << 16) | 5680;

    /// <summary>Protocol 3.0 (every server since 7.4).</summary>
    public const int Protocol30 = 3 << 16;

    /// <summary>Protocol 3.2 (PostgreSQL 18: variable-length cancel keys).</summary>
    public const int Protocol32 = (3 << 16) | 2;
}
