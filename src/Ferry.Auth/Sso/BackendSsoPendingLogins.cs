using System.Security.Cryptography;
using System.Text;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Contracts;

namespace Ferry.Auth.Sso;

/// <summary>
/// Pending SSO logins in the shared backend, so that the login, the provider's callback and the result fetch may each
/// reach a different auth server. Items are TTL leases:
/// <code>
/// /sso/pending/REQUEST_ID          the login (<see cref="SsoPendingRecord"/>; secret as SHA-256)   login lifetime, then result lifetime
/// /sso/state/SHA256(state)          REQUEST_ID: the callback's index, deleted by the callback that takes it
/// /sso/source/SHA256(source)/ID     one per pending login of a source: the per-source bound
/// </code>
/// Single use by delete: of two callbacks (or result fetches) racing on one login, only the one whose delete removed
/// the item proceeds. Bounds: <see cref="PerSource"/> pending logins per source across all servers; at most
/// <c>capacity</c> pending logins started on this server (a cluster holds at most servers × capacity).
/// </summary>
internal sealed class BackendSsoPendingLogins(IBackend backend, TimeProvider time, int capacity = 10_000, int perSource = 32) : ISsoPendingStore
{
    private const string PendingPrefix = "/sso/pending/";
    private const string StatePrefix = "/sso/state/";
    private const string SourcePrefix = "/sso/source/";
    private readonly Dictionary<string, DateTimeOffset> _startedHere = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int PerSource => perSource;

    public async ValueTask<bool> TryAddAsync(PendingSsoLogin login, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var ttl = login.Expires - now;
        lock (_lock)
        {
            foreach (var (id, expires) in _startedHere.ToList())
            {
                if (expires <= now)
                {
                    _startedHere.Remove(id);
                }
            }

            if (_startedHere.Count >= capacity)
            {
                return false;
            }

            _startedHere[login.RequestId] = login.Expires;
        }

        var sourceKey = SourcePrefix + Hash(login.Source) + "/";
        if ((await backend.RangeAsync(sourceKey, ct).ConfigureAwait(false)).Count >= perSource)
        {
            Forget(login.RequestId);
            return false;
        }

        await backend.PutAsync(sourceKey + login.RequestId, ReadOnlyMemory<byte>.Empty, ttl, ct).ConfigureAwait(false);
        await backend.PutAsync(PendingPrefix + login.RequestId, ToRecord(login, null, null), StorageJsonContext.Default.SsoPendingRecord, ttl, ct).ConfigureAwait(false);
        await backend.PutAsync(StatePrefix + Hash(login.State), Encoding.ASCII.GetBytes(login.RequestId), ttl, ct).ConfigureAwait(false);
        return true;
    }

    public async ValueTask<PendingSsoLogin?> TakeStateAsync(string state, CancellationToken ct)
    {
        var key = StatePrefix + Hash(state);
        var index = await backend.GetAsync(key, ct).ConfigureAwait(false);
        if (index is null || !await backend.DeleteAsync(key, ct).ConfigureAwait(false))
        {
            return null; // unknown, expired, or taken by another callback (here or on another server)
        }

        var record = await backend.GetAsync(PendingPrefix + Encoding.ASCII.GetString(index.Value), StorageJsonContext.Default.SsoPendingRecord, ct).ConfigureAwait(false);
        return record is null ? null : FromRecord(record, state);
    }

    public async ValueTask CompleteAsync(PendingSsoLogin login, UserCertificateResponse? result, AuthException? error, CancellationToken ct)
    {
        login.Result = result;
        login.Error = error;
        login.Expires = time.GetUtcNow() + SsoPendingLogins.ResultLifetime;
        await backend.PutAsync(PendingPrefix + login.RequestId, ToRecord(login, result, error), StorageJsonContext.Default.SsoPendingRecord, SsoPendingLogins.ResultLifetime, ct).ConfigureAwait(false);
        await backend.DeleteAsync(SourcePrefix + Hash(login.Source) + "/" + login.RequestId, ct).ConfigureAwait(false);
        Forget(login.RequestId);
    }

    public async ValueTask<(SsoPendingLogins.Outcome Outcome, PendingSsoLogin? Login)> TryTakeResultAsync(string requestId, byte[] secret, CancellationToken ct)
    {
        var key = PendingPrefix + requestId;
        var record = await backend.GetAsync(key, StorageJsonContext.Default.SsoPendingRecord, ct).ConfigureAwait(false);
        if (record is null)
        {
            return (SsoPendingLogins.Outcome.Unknown, null);
        }

        var login = FromRecord(record, "");
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(secret), login.SecretSha256))
        {
            return (SsoPendingLogins.Outcome.WrongSecret, login);
        }

        if (!login.Completed)
        {
            return (SsoPendingLogins.Outcome.NotFinished, login);
        }

        // Single use: only the fetch whose delete removed the item gets the result.
        return await backend.DeleteAsync(key, ct).ConfigureAwait(false)
            ? (SsoPendingLogins.Outcome.Done, login)
            : (SsoPendingLogins.Outcome.Unknown, null);
    }

    private void Forget(string requestId)
    {
        lock (_lock)
        {
            _startedHere.Remove(requestId);
        }
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static SsoPendingRecord ToRecord(PendingSsoLogin login, UserCertificateResponse? result, AuthException? error) => new()
    {
        RequestId = login.RequestId,
        Nonce = login.Nonce,
        CodeVerifier = login.CodeVerifier,
        Connector = login.Connector,
        ClientRedirect = login.ClientRedirect,
        Web = login.Web,
        SecretSha256 = Convert.ToHexStringLower(login.SecretSha256),
        PublicKeyPem = login.PublicKeyPem,
        TtlSeconds = login.TtlSeconds,
        Route = login.Route,
        RequestMfaGrant = login.RequestMfaGrant,
        ReauthUser = login.ReauthUser,
        ReauthBinding = login.ReauthBinding,
        Source = login.Source,
        ClientAddr = login.ClientAddr,
        Started = login.Started,
        Expires = login.Expires,
        Result = result,
        ErrorStatus = error?.StatusCode,
        ErrorMessage = error?.Message,
    };

    private static PendingSsoLogin FromRecord(SsoPendingRecord r, string state) => new()
    {
        RequestId = r.RequestId,
        State = state,
        Nonce = r.Nonce,
        CodeVerifier = r.CodeVerifier,
        Connector = r.Connector,
        ClientRedirect = r.ClientRedirect,
        Web = r.Web,
        SecretSha256 = Convert.FromHexString(r.SecretSha256),
        PublicKeyPem = r.PublicKeyPem,
        TtlSeconds = r.TtlSeconds,
        Route = r.Route,
        RequestMfaGrant = r.RequestMfaGrant,
        ReauthUser = r.ReauthUser,
        ReauthBinding = r.ReauthBinding,
        Source = r.Source,
        ClientAddr = r.ClientAddr,
        Started = r.Started,
        Expires = r.Expires,
        Result = r.Result,
        Error = r.ErrorStatus is { } status ? new AuthException(status, r.ErrorMessage ?? "the single sign-on login failed") : null,
    };
}
