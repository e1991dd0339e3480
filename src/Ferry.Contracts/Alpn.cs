namespace Ferry.Contracts;

/// <summary>
/// The ALPN protocol ids Ferry's port 3080 routes by: each names who terminates the TLS and what is
/// spoken inside it. Proxy, agent and client use these, never their own literals.
/// </summary>
public static class Alpn
{
    /// <summary>An agent's tunnel to a proxy (mutual TLS with a host certificate, then the multiplexer).</summary>
    public const string Tunnel = "ferry-tunnel";

    /// <summary>PostgreSQL direct SSL (PostgreSQL 17 <c>sslnegotiation=direct</c>): the StartupMessage follows inside TLS.</summary>
    public const string Postgres = "postgresql";

    /// <summary>Ferry's local MySQL proxy: TLS first, then the MySQL greeting inside it.</summary>
    public const string MySql = "ferry-mysql";

    /// <summary>HTTPS for the auth API over HTTP/2, passed through to the auth service.</summary>
    public const string Http2 = "h2";

    /// <summary>HTTPS for the auth API over HTTP/1.1, passed through to the auth service.</summary>
    public const string Http11 = "http/1.1";
}
