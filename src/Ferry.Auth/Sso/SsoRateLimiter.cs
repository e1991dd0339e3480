namespace Ferry.Auth.Sso;

/// <summary>
/// A per-source fixed-window counter for the unauthenticated SSO endpoints (start, result): at most
/// <paramref name="perWindow"/> requests per source per <paramref name="window"/>. Memory is bounded by
/// <paramref name="maxSources"/>; when that many sources are active at once, new ones wait for the window to end.
/// Not the login throttle (<see cref="Users.LoginThrottle"/>), which counts failures only, per user and source, with
/// escalating lockouts kept in the backend so a restart or another auth server cannot reset them; nor the proxy's
/// <c>ConnectionLimiter</c>, which caps connections open at once (a slot given back at close), not requests per time.
/// This one counts every request, success or not, in memory — like the pending SSO logins it protects, which a
/// restart forgets too.
/// </summary>
internal sealed class SsoRateLimiter(TimeProvider time, int perWindow, TimeSpan window, int maxSources = 50_000)
{
    private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _sources = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Null when <paramref name="source"/> may go on, else how long it must wait.</summary>
    public TimeSpan? Take(string source)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_sources.TryGetValue(source, out var entry) && now - entry.Start < window)
            {
                if (entry.Count >= perWindow)
                {
                    return entry.Start + window - now;
                }

                _sources[source] = (entry.Start, entry.Count + 1);
                return null;
            }

            if (_sources.Count >= maxSources)
            {
                foreach (var (key, value) in _sources.ToList())
                {
                    if (now - value.Start >= window)
                    {
                        _sources.Remove(key);
                    }
                }

                if (_sources.Count >= maxSources)
                {
                    return window;
                }
            }

            _sources[source] = (now, 1);
            return null;
        }
    }
}
