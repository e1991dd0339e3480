using Ferry.Identity;

namespace Ferry.Web.Sessions;

/// <summary>
/// The key pairs of web SSO logins between <c>/web/api/sso/start</c> and <c>/web/api/sso/finish</c>, by request id:
/// bounded (<paramref name="capacity"/>), each taken once, disposed when it expires. A restart forgets them (the user
/// signs in again).
/// </summary>
internal sealed class WebSsoKeys(TimeProvider time, int capacity = 10_000) : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, (KeyPair Key, DateTimeOffset Expires)> _keys = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Keeps <paramref name="key"/> for <paramref name="requestId"/>; false (nothing kept) when full.</summary>
    public bool TryAdd(string requestId, KeyPair key)
    {
        lock (_lock)
        {
            Prune();
            if (_keys.Count >= capacity || _keys.ContainsKey(requestId))
            {
                return false;
            }

            _keys.Add(requestId, (key, time.GetUtcNow() + Lifetime));
            return true;
        }
    }

    /// <summary>The key of <paramref name="requestId"/>, once; null when unknown or expired.</summary>
    public KeyPair? Take(string requestId)
    {
        lock (_lock)
        {
            Prune();
            return _keys.Remove(requestId, out var entry) ? entry.Key : null;
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
            foreach (var (key, _) in _keys.Values)
            {
                key.Dispose();
            }

            _keys.Clear();
        }
    }
}
