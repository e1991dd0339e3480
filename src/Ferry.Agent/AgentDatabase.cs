using Ferry.Identity;

namespace Ferry.Agent;

/// <summary>How the agent verifies a database's server certificate.</summary>
public enum DatabaseTlsVerification
{
    VerifyFull,
    VerifyCa,
    Insecure,
}

/// <summary>A database this agent serves.</summary>
public sealed record AgentDatabase
{
    public required string Name { get; init; }

    public required DatabaseProtocol Protocol { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    public string Description { get; init; } = "";

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public DatabaseTlsVerification TlsMode { get; init; } = DatabaseTlsVerification.VerifyFull;

    /// <summary>PEM bundle that signs the database's server certificate; null = the db-client CA's companion bundle from the authority.</summary>
    public string? TlsCaPem { get; init; }

    /// <summary>Name checked against the server certificate in verify-full (default: <see cref="Host"/>).</summary>
    public string? TlsServerName { get; init; }

    /// <summary>The db user the health probe logs in as (MySQL); null = a plain TCP connect.</summary>
    public string? HealthCheckUser { get; init; }

    /// <summary>PostgreSQL server-connection reuse (<c>pool</c>); null = off.</summary>
    public Ferry.Config.DatabasePoolConfig? Pool { get; init; }

    /// <summary>The roots from <see cref="TlsCaPem"/>, or null for the system store.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? TrustedRoots()
    {
        if (TlsCaPem is null)
        {
            return null;
        }
        if (_trustedRoots is null)
        {
            var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            roots.ImportFromPem(TlsCaPem);
            _trustedRoots = roots;
        }
        return _trustedRoots;
    }

    private System.Security.Cryptography.X509Certificates.X509Certificate2Collection? _trustedRoots;
}
