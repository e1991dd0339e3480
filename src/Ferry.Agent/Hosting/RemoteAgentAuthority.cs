using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent.Hosting;

/// <summary>
/// A standalone agent's view of the auth service over its HTTPS API (reached through a proxy):
/// roles (cached briefly, used stale for a while if the auth service is down), db-client
/// certificates (key made here, asked for with the session's forwarded user certificate, cached per database and
/// db user for two thirds of their life) and
/// locks (followed by <see cref="LockFollower"/>).
/// </summary>
public sealed class RemoteAgentAuthority(HostCredentials host, AuthApiClient api, LockFollower locks, TimeProvider time) : IAgentAuthority, IDisposable
{
    private static readonly TimeSpan RolesFresh = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RolesUsableWhenStale = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<(string, string), (X509Certificate2 Cert, DateTimeOffset Renew, DateTimeOffset Expires)> _dbCerts = new();
    private readonly ConcurrentDictionary<(string, string), (X509Certificate2 Cert, DateTimeOffset Renew, DateTimeOffset Expires)> _probeCerts = new();
    private readonly SemaphoreSlim _rolesGate = new(1, 1);
    private readonly SemaphoreSlim _certGate = new(1, 1);
    private (Dictionary<string, RoleDocument> Roles, DateTimeOffset Fetched)? _roles;

    public IdentityVerifier UserVerifier => host.UserVerifier;

    public async ValueTask<IReadOnlyList<RoleDocument>> GetRolesAsync(IReadOnlyList<string> names, CancellationToken ct)
    {
        var all = await RolesAsync(ct).ConfigureAwait(false);
        return [.. names.Select(n => all.GetValueOrDefault(n)).OfType<RoleDocument>()];
    }

    private async Task<Dictionary<string, RoleDocument>> RolesAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_roles is { } cached && now - cached.Fetched < RolesFresh)
        {
            return cached.Roles;
        }
        await _rolesGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_roles is { } again && time.GetUtcNow() - again.Fetched < RolesFresh)
            {
                return again.Roles;
            }
            try
            {
                var response = await api.GetRolesAsync(ct).ConfigureAwait(false);
                var parsed = new Dictionary<string, RoleDocument>(StringComparer.Ordinal);
                foreach (var r in response.Roles)
                {
                    parsed[r.Name] = RoleYaml.ParseSingle(r.Yaml, "auth:" + r.Name);
                }
                _roles = (parsed, time.GetUtcNow());
                return parsed;
            }
            catch (AuthApiException e)
            {
                AgentLog.AuthorityCallFailed(Ferry.Diagnostics.FerryLogging.Factory.CreateLogger("Ferry.Agent"), "read roles", e.Message);
                if (_roles is { } stale && time.GetUtcNow() - stale.Fetched < RolesUsableWhenStale)
                {
                    return stale.Roles;
                }
                throw new AuthorityUnavailableException($"cannot read roles from the auth service: {e.Message}", e);
            }
        }
        finally
        {
            _rolesGate.Release();
        }
    }

    public ValueTask<X509Certificate2> GetDbClientCertificateAsync(string database, string dbUser, string dbName, ReadOnlyMemory<byte> userCertificate, CancellationToken ct) =>
        CachedIssueAsync(_dbCerts, database, dbUser, () => new DbCertificateRequest
        {
            Database = database,
            DbUser = dbUser,
            DbName = dbName,
            UserCertificatePem = PemEncoding.WriteString("CERTIFICATE", userCertificate.Span),
        }, "db-client", logFailure: true, ct);

    public ValueTask<X509Certificate2> GetHealthCheckCertificateAsync(string database, string dbUser, CancellationToken ct) =>
        CachedIssueAsync(_probeCerts, database, dbUser, () => new DbCertificateRequest
        {
            Database = database,
            DbUser = dbUser,
            Purpose = DbCertificateRequest.HealthCheckPurpose,
        }, "health-check", logFailure: false, ct);

    /// <summary>
    /// A certificate from <paramref name="cache"/> for (database, db user) until its renewal point; else a new key made
    /// here and a certificate issued for it (one issue at a time); while the auth service is away, a cached certificate
    /// past its renewal point is used as long as it has more than a minute left.
    /// </summary>
    private async ValueTask<X509Certificate2> CachedIssueAsync(
        ConcurrentDictionary<(string, string), (X509Certificate2 Cert, DateTimeOffset Renew, DateTimeOffset Expires)> cache,
        string database, string dbUser, Func<DbCertificateRequest> request, string what, bool logFailure, CancellationToken ct)
    {
        if (cache.TryGetValue((database, dbUser), out var cached) && cached.Renew > time.GetUtcNow())
        {
            return cached.Cert;
        }
        await _certGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (cache.TryGetValue((database, dbUser), out cached) && cached.Renew > now)
            {
                return cached.Cert;
            }
            try
            {
                using var key = KeyPair.Generate();
                var body = request();
                body.PublicKeyPem = key.ExportPublicKeyPem();
                var issued = await api.IssueDbCertificateAsync(body, ct).ConfigureAwait(false);
                var cert = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
                cache[(database, dbUser)] = (cert, CertificateRenewal.RenewAt(now, issued.Expires), issued.Expires);
                return cert;
            }
            catch (AuthApiException e)
            {
                if (logFailure)
                {
                    AgentLog.AuthorityCallFailed(Ferry.Diagnostics.FerryLogging.Factory.CreateLogger("Ferry.Agent"), $"issue {what} certificate", e.Message);
                }
                // A certificate past its renewal point but not expired still works while the auth service is away.
                if (cached.Cert is not null && cached.Expires > now + TimeSpan.FromMinutes(1))
                {
                    return cached.Cert;
                }
                throw new AuthorityUnavailableException($"cannot get a {what} certificate for {dbUser}@{database}: {e.Message}", e);
            }
        }
        finally
        {
            _certGate.Release();
        }
    }

    public string? FindLock(UserIdentity identity, string database)
    {
        return locks.FindLock(identity, database);
    }

    public void Dispose()
    {
        _rolesGate.Dispose();
        _certGate.Dispose();
    }
}
