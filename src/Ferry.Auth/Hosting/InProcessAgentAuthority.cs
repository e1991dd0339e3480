using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth.Hosting;

/// <summary>
/// The agent's view of the auth service when both run in one <c>ferryd</c>: roles, db-client certificates
/// (key made here, signed by the db-client CA, cached until their renewal time) and the locks the whole
/// process follows.
/// </summary>
internal sealed class InProcessAgentAuthority(AuthService auth, LockFollower locks) : IAgentAuthority, IDisposable
{
    private static readonly TimeSpan DbCertTtl = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<(string, string), (X509Certificate2 Cert, DateTimeOffset Renew)> _dbCerts = new();
    private readonly SemaphoreSlim _issue = new(1, 1);

    public IdentityVerifier UserVerifier => auth.UserVerifier;

    public async ValueTask<IReadOnlyList<RoleDocument>> GetRolesAsync(IReadOnlyList<string> names, CancellationToken ct) =>
        await auth.ResolveRolesAsync(names, ct).ConfigureAwait(false);

    public async ValueTask<X509Certificate2> GetDbClientCertificateAsync(string database, string dbUser, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        if (_dbCerts.TryGetValue((database, dbUser), out var cached) && cached.Renew > now)
        {
            return cached.Cert;
        }
        await _issue.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_dbCerts.TryGetValue((database, dbUser), out cached) && cached.Renew > now)
            {
                return cached.Cert;
            }
            using var key = KeyPair.Generate();
            var issued = auth.Issuer.IssueDbClientCertificate(ClientPublicKey.FromPem(key.ExportPublicKeyPem()), dbUser, DbCertTtl);
            var cert = TlsCertificates.FromPem(issued.ToPem(), key.ExportPrivateKeyPem());
            _dbCerts[(database, dbUser)] = (cert, CertificateRenewal.RenewAt(now, now + DbCertTtl));
            return cert;
        }
        finally
        {
            _issue.Release();
        }
    }

    public string? FindLock(UserIdentity identity, string database) => locks.FindLock(identity, database);

    public void Dispose() => _issue.Dispose();
}
