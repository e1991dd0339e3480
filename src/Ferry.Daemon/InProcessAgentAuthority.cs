using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Auth;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Daemon;

/// <summary>
/// The agent's view of the auth service when both run in one <c>ferryd</c>: roles, db-client
/// certificates (key made here, signed by the db-client CA, cached for most of their life) and a
/// lock cache kept current by the backend's watch.
/// </summary>
internal sealed class InProcessAgentAuthority(AuthService auth, string agentId) : IAgentAuthority, IDisposable
{
    private static readonly TimeSpan DbCertTtl = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<(string, string), (X509Certificate2 Cert, DateTimeOffset Renew)> _dbCerts = new();
    private readonly SemaphoreSlim _issue = new(1, 1);
    private volatile List<LockInfo> _locks = [];

    public IdentityVerifier UserVerifier => auth.UserVerifier;

    public event Action? LocksChanged;

    public async ValueTask<IReadOnlyList<RoleDocument>> GetRolesAsync(IReadOnlyList<string> names, CancellationToken ct) =>
        await auth.ResolveRolesAsync(names, ct);

    public async ValueTask<X509Certificate2> GetDbClientCertificateAsync(string database, string dbUser, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        if (_dbCerts.TryGetValue((database, dbUser), out var cached) && cached.Renew > now)
        {
            return cached.Cert;
        }
        await _issue.WaitAsync(ct);
        try
        {
            if (_dbCerts.TryGetValue((database, dbUser), out cached) && cached.Renew > now)
            {
                return cached.Cert;
            }
            using var key = KeyPair.Generate();
            var issued = auth.Issuer.IssueDbClientCertificate(ClientPublicKey.FromPem(key.ExportPublicKeyPem()), dbUser, DbCertTtl);
            var cert = TlsCertificates.FromPem(issued.ToPem(), key.ExportPrivateKeyPem());
            // Renew after two thirds of the lifetime.
            _dbCerts[(database, dbUser)] = (cert, now + (DbCertTtl * 2 / 3));
            return cert;
        }
        finally
        {
            _issue.Release();
        }
    }

    public string? FindLock(UserIdentity identity, string database)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var l in _locks)
        {
            if (l.Covers(identity.User, identity.Roles, database, now))
            {
                var what = l.Kind switch
                {
                    LockTargetKind.User => $"user \"{l.Target}\" is locked",
                    LockTargetKind.Role => $"role \"{l.Target}\" is locked",
                    _ => $"database \"{l.Target}\" is locked",
                };
                return l.Message is { Length: > 0 } m ? $"{what}: {m}" : what;
            }
        }
        return null;
    }

    /// <summary>Follows the lock watch until cancelled; every change re-checks live sessions.</summary>
    public async Task WatchLocksAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                _locks = await auth.ListLocksAsync(ct);
                LocksChanged?.Invoke();
                await foreach (var e in auth.WatchLocksAsync(ct))
                {
                    if (e.Type is LockWatchEvent.Put or LockWatchEvent.Delete)
                    {
                        _locks = await auth.ListLocksAsync(ct);
                        LocksChanged?.Invoke();
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is AuthException or IOException or InvalidOperationException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    public void Dispose() => _issue.Dispose();

    public override string ToString() => $"in-process authority for {agentId}";
}
