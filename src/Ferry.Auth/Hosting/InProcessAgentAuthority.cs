using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Contracts;
using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth.Hosting;

/// <summary>
/// The agent's view of the auth service when both run in one <c>ferryd</c>: roles, db-client certificates
/// (key made here, signed by the db-client CA after the same checks as <c>POST /v1/db-certs</c> for agent
/// <paramref name="agentId"/>, cached until their renewal time) and the locks the whole process follows.
/// </summary>
internal sealed class InProcessAgentAuthority(AuthService auth, LockFollower locks, string agentId) : IAgentAuthority, IDisposable
{
    private static readonly TimeSpan DbCertTtl = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<(string, string), (X509Certificate2 Cert, DateTimeOffset Renew)> _dbCerts = new();
    private readonly ConcurrentDictionary<(string, string), (X509Certificate2 Cert, DateTimeOffset Renew)> _probeCerts = new();
    private readonly SemaphoreSlim _issue = new(1, 1);

    public IdentityVerifier UserVerifier => auth.UserVerifier;

    public async ValueTask<IReadOnlyList<RoleDocument>> GetRolesAsync(IReadOnlyList<string> names, CancellationToken ct) =>
        await auth.ResolveRolesAsync(names, ct).ConfigureAwait(false);

    public async ValueTask<X509Certificate2> GetDbClientCertificateAsync(string database, string dbUser, string dbName, ReadOnlyMemory<byte> userCertificate, CancellationToken ct)
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
            try
            {
                await auth.AuthorizeDbClientCertificateAsync(agentId, new DbCertificateRequest
                {
                    Database = database,
                    DbUser = dbUser,
                    DbName = dbName,
                    UserCertificatePem = PemEncoding.WriteString("CERTIFICATE", userCertificate.Span),
                }, "in-process", ct).ConfigureAwait(false);
            }
            catch (AuthException e)
            {
                throw new AuthorityUnavailableException($"cannot get a db-client certificate for {dbUser}@{database}: {e.Message}", e);
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

    public async ValueTask<X509Certificate2> GetHealthCheckCertificateAsync(string database, string dbUser, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        if (_probeCerts.TryGetValue((database, dbUser), out var cached) && cached.Renew > now)
        {
            return cached.Cert;
        }
        try
        {
            await auth.AuthorizeHealthCheckCertificateAsync(agentId, new DbCertificateRequest
            {
                Database = database,
                DbUser = dbUser,
                Purpose = DbCertificateRequest.HealthCheckPurpose,
            }, "in-process", ct).ConfigureAwait(false);
        }
        catch (AuthException e)
        {
            throw new AuthorityUnavailableException($"cannot get a health-check certificate for {dbUser}@{database}: {e.Message}", e);
        }
        using var key = KeyPair.Generate();
        var ttl = TimeSpan.FromMinutes(15);
        var issued = auth.Issuer.IssueDbClientCertificate(ClientPublicKey.FromPem(key.ExportPublicKeyPem()), dbUser, ttl);
        var cert = TlsCertificates.FromPem(issued.ToPem(), key.ExportPrivateKeyPem());
        _probeCerts[(database, dbUser)] = (cert, CertificateRenewal.RenewAt(now, now + ttl));
        return cert;
    }

    public string? FindLock(UserIdentity identity, string database) => locks.FindLock(identity, database);

    public void Dispose() => _issue.Dispose();
}
