using System.Security.Cryptography;
using Ferry.Identity.WebAuthn;

namespace Ferry.Auth.Mfa;

/// <summary>One handed-out WebAuthn challenge: for one purpose, user, binding (web session or source) and origin.</summary>
internal sealed record WebAuthnChallenge(string Id, byte[] Challenge, string Purpose, string User, string Binding, string RpId, string Origin, DateTimeOffset Expires);

/// <summary>
/// WebAuthn challenges in memory: single-use (taken once, whatever the outcome), expiring after
/// <see cref="Lifetime"/>, bound to a purpose, a user and a binding; at most <see cref="PerKey"/> open per
/// (user, source) — so nobody fills another's share — and <c>capacity</c> in all.
/// </summary>
internal sealed class WebAuthnChallenges(TimeProvider time, int capacity = 10_000)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    public const int PerKey = 8;

    public static class Purposes
    {
        public const string Register = "register";
        public const string Login = "login";
        public const string Session = "session";

        /// <summary>Fresh re-authentication with an existing key before registering another.</summary>
        public const string Reauth = "reauth";

        /// <summary>Not a WebAuthn challenge: the single-use proof of a fresh re-authentication at the SSO provider.</summary>
        public const string SsoReauth = "sso-reauth";
    }

    private readonly Dictionary<string, (WebAuthnChallenge Challenge, string Quota)> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>A new challenge; null when the (user, source) share or the store is full.</summary>
    public WebAuthnChallenge? Add(string purpose, string user, string binding, string source, string rpId, string origin)
    {
        var challenge = new WebAuthnChallenge(WebAuthnBase64Url.Encode(RandomNumberGenerator.GetBytes(16)), RandomNumberGenerator.GetBytes(32),
            purpose, user, binding, rpId, origin, time.GetUtcNow() + Lifetime);
        var quota = user + "\u001f" + source;
        lock (_lock)
        {
            Prune();
            if (_open.Count >= capacity || _perKey.GetValueOrDefault(quota) >= PerKey)
            {
                return null;
            }

            _open.Add(challenge.Id, (challenge, quota));
            _perKey[quota] = _perKey.GetValueOrDefault(quota) + 1;
            return challenge;
        }
    }

    /// <summary>The challenge <paramref name="id"/> if it is open and was handed out for this purpose, user and binding; gone afterwards either way.</summary>
    public WebAuthnChallenge? Take(string? id, string purpose, string user, string binding)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64)
        {
            return null;
        }

        lock (_lock)
        {
            Prune();
            if (!_open.TryGetValue(id, out var entry))
            {
                return null;
            }

            Remove(id, entry.Quota);
            var c = entry.Challenge;
            return c.Purpose == purpose && c.User == user && c.Binding == binding ? c : null;
        }
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        List<(string, string)>? expired = null;
        foreach (var (id, entry) in _open)
        {
            if (entry.Challenge.Expires <= now)
            {
                (expired ??= []).Add((id, entry.Quota));
            }
        }

        foreach (var (id, quota) in expired ?? [])
        {
            Remove(id, quota);
        }
    }

    private void Remove(string id, string quota)
    {
        _open.Remove(id);
        if (_perKey.TryGetValue(quota, out var n))
        {
            if (n <= 1)
            {
                _perKey.Remove(quota);
            }
            else
            {
                _perKey[quota] = n - 1;
            }
        }
    }
}
