using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.LoadGen;

/// <summary>Simulated agents serve no database, so the proxy never opens a session stream to them: nothing here is reached.</summary>
internal sealed class NoAuthority(IdentityVerifier userVerifier) : IAgentAuthority
{
    public IdentityVerifier UserVerifier => userVerifier;

    public ValueTask<IReadOnlyList<RoleDocument>> GetRolesAsync(IReadOnlyList<string> names, CancellationToken ct) =>
        ValueTask.FromResult<IReadOnlyList<RoleDocument>>([]);

    public ValueTask<X509Certificate2> GetDbClientCertificateAsync(string database, string dbUser, string dbName, ReadOnlyMemory<byte> userCertificate, CancellationToken ct) =>
        throw new InvalidOperationException("simulated agents serve no database");

    public ValueTask<X509Certificate2> GetHealthCheckCertificateAsync(string database, string dbUser, CancellationToken ct) =>
        throw new InvalidOperationException("simulated agents serve no database");

    public string? FindLock(UserIdentity identity, string database) => "simulated agent";
}
