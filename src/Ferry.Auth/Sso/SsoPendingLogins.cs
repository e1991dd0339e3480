using System.Security.Cryptography;
using Ferry.Contracts;

namespace Ferry.Auth.Sso;

/// <summary>One login between <c>POST /v1/sso/{connector}/login</c> and <c>POST /v1/sso/result</c>.</summary>
internal sealed class PendingSsoLogin
{
    public required string RequestId { get; init; }

    public required string State { get; init; }

    public required string Nonce { get; init; }

    public required string CodeVerifier { get; init; }

    public required string Connector { get; init; }

    public required string ClientRedirect { get; init; }

    /// <summary>Started by the web UI (<c>/web/api/sso/start</c>): the callback hands over to <c>/web/api/sso/finish</c>.</summary>
    public bool Web { get; init; }

    public required byte[] SecretSha256 { get; init; }

    public required string PublicKeyPem { get; init; }

    public long? TtlSeconds { get; init; }

    public RouteRequest? Route { get; init; }

    /// <summary>With a route passed through the provider's MFA: answer an MFA grant too.</summary>
    public bool RequestMfaGrant { get; init; }

    /// <summary>
    /// A fresh re-authentication of this signed-in web user (before registering a security key), not a sign-in: the
    /// provider is asked to authenticate again, and the login must come back as this user with a fresh <c>auth_time</c>.
    /// </summary>
    public string? ReauthUser { get; init; }

    /// <summary>The web session (<see cref="ReauthUser"/>'s binding) the re-authentication is for.</summary>
    public string? ReauthBinding { get; init; }

    public required string Source { get; init; }

    public required string ClientAddr { get; init; }

    public required DateTimeOffset Started { get; init; }

    public required DateTimeOffset Expires { get; set; }

    /// <summary>Set once the callback ran: the certificate, or the refusal to return.</summary>
    public UserCertificateResponse? Result { get; set; }

    public AuthException? Error { get; set; }

    public bool Completed => Result is not null || Error is not null;
}

/// <summary>
/// Pending SSO logins in memory, bounded: at most <see cref="Capacity"/> in all and <see cref="PerSource"/> per
/// source; each <c>state</c> is taken once (by the callback), each result once (by the client holding the secret).
/// A login expires <see cref="LoginLifetime"/> after it started, a result <see cref="ResultLifetime"/> after the
/// callback. A restart forgets them (the user logs in again).
/// </summary>
internal sealed class SsoPendingLogins(TimeProvider time, int capacity = 10_000, int perSource = 32) : ISsoPendingStore
{
    ValueTask<bool> ISsoPendingStore.TryAddAsync(PendingSsoLogin login, CancellationToken ct) => ValueTask.FromResult(TryAdd(login));

    ValueTask<PendingSsoLogin?> ISsoPendingStore.TakeStateAsync(string state, CancellationToken ct) => ValueTask.FromResult(TakeState(state));

    ValueTask ISsoPendingStore.CompleteAsync(PendingSsoLogin login, UserCertificateResponse? result, AuthException? error, CancellationToken ct)
    {
        Complete(login, result, error);
        return ValueTask.CompletedTask;
    }

    ValueTask<(Outcome Outcome, PendingSsoLogin? Login)> ISsoPendingStore.TryTakeResultAsync(string requestId, byte[] secret, CancellationToken ct)
    {
        var outcome = TryTakeResult(requestId, secret, out var login);
        return ValueTask.FromResult((outcome, login));
    }

    public static readonly TimeSpan LoginLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan ResultLifetime = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, PendingSsoLogin> _byRequest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingSsoLogin> _byState = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perSource = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Capacity => capacity;

    public int PerSource => perSource;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byRequest.Count;
            }
        }
    }

    /// <summary>Adds a login; false when the store or the source's share is full.</summary>
    public bool TryAdd(PendingSsoLogin login)
    {
        lock (_lock)
        {
            Prune();
            if (_byRequest.Count >= capacity || _perSource.GetValueOrDefault(login.Source) >= perSource)
            {
                return false;
            }

            _byRequest.Add(login.RequestId, login);
            _byState.Add(login.State, login);
            _perSource[login.Source] = _perSource.GetValueOrDefault(login.Source) + 1;
            return true;
        }
    }

    /// <summary>The login a callback's <c>state</c> belongs to, once: a second callback with the same state finds nothing.</summary>
    public PendingSsoLogin? TakeState(string state)
    {
        lock (_lock)
        {
            Prune();
            if (!_byState.Remove(state, out var login))
            {
                return null;
            }

            return login;
        }
    }

    /// <summary>Records the callback's outcome; the result may be fetched for <see cref="ResultLifetime"/>.</summary>
    public void Complete(PendingSsoLogin login, UserCertificateResponse? result, AuthException? error)
    {
        lock (_lock)
        {
            login.Result = result;
            login.Error = error;
            login.Expires = time.GetUtcNow() + ResultLifetime;
        }
    }

    public enum Outcome
    {
        Unknown,
        NotFinished,
        WrongSecret,
        Done,
    }

    /// <summary>
    /// Hands out the outcome of a finished login to the holder of its secret, once. A wrong secret leaves the
    /// result in place (so a stranger who saw the request id cannot spoil the login) and is reported.
    /// </summary>
    public Outcome TryTakeResult(string requestId, ReadOnlySpan<byte> secret, out PendingSsoLogin? login)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(secret, hash);
        lock (_lock)
        {
            Prune();
            if (!_byRequest.TryGetValue(requestId, out login))
            {
                return Outcome.Unknown;
            }

            if (!CryptographicOperations.FixedTimeEquals(hash, login.SecretSha256))
            {
                return Outcome.WrongSecret;
            }

            if (!login.Completed)
            {
                return Outcome.NotFinished;
            }

            Remove(login);
            return Outcome.Done;
        }
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        List<PendingSsoLogin>? expired = null;
        foreach (var login in _byRequest.Values)
        {
            if (login.Expires <= now)
            {
                (expired ??= []).Add(login);
            }
        }

        foreach (var login in expired ?? [])
        {
            Remove(login);
        }
    }

    private void Remove(PendingSsoLogin login)
    {
        _byRequest.Remove(login.RequestId);
        _byState.Remove(login.State);
        if (_perSource.TryGetValue(login.Source, out var n))
        {
            if (n <= 1)
            {
                _perSource.Remove(login.Source);
            }
            else
            {
                _perSource[login.Source] = n - 1;
            }
        }
    }
}
