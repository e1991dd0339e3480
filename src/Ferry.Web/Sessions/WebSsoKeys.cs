using Ferry.Identity;

namespace Ferry.Web.Sessions;

/// <summary>
/// The key pairs of web SSO logins between <c>/web/api/sso/start</c> and <c>/web/api/sso/finish</c>, by request id,
/// with the web session a re-authentication is for (the session cookie is <c>SameSite=Strict</c>, so the provider's
/// redirect back does not carry it): bounded (<paramref name="capacity"/>), each taken once, disposed when it expires.
/// A restart forgets them (the user signs in again).
/// </summary>
internal sealed class WebSsoKeys(TimeProvider time, int capacity = 10_000) : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, (KeyPair Key, WebSession? ReauthFor, DateTimeOffset Expires)> _keys = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// Keeps <paramref name="key"/> (and, for a re-authentication, the web session <paramref name="reauthFor"/>) for
    /// <paramref name="requestId"/>; false (nothing kept) when full.
    /// </summary>
    public bool TryAdd(string requestId, KeyPair key, WebSession? reauthFor = null)
    {
        lock (_lock)
        {
            Prune();
            if (_keys.Count >= capacity || _keys.ContainsKey(requestId))
            {
                return false;
            }

            _keys.Add(requestId, (key, reauthFor, time.GetUtcNow() + Lifetime));
            return true;
        }
    }

    /// <summary>The key of <paramref name="requestId"/> and the session it re-authenticates, once; null when unknown or expired.</summary>
    public (KeyPair Key, WebSession? ReauthFor)? Take(string requestId)
    {
        lock (_lock)
        {
            Prune();
            return _keys.Remove(requestId, out var entry) ? (entry.Key, entry.ReauthFor) : null;
        }
    }

    private void Prune()
    {
        var now = time.GetUtcNow();
        List<string>? expired = null;
        foreach (var (id, entry) in _keys)
        {
            if (entry.Expires <= now)
            {
                (expired ??= []).Add(id);
            }
        }

        foreach (var id in expired ?? [])
        {
            _keys.Remove(id, out var entry);
            entry.Key.Dispose();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (key, _, _) in _keys.Values)
            {
                key.Dispose();
            }

            _keys.Clear();
        }
    }
}
