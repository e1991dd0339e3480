namespace Ferry.Auth.Users;

/// <summary>
/// In-memory failed-login throttle per user name and per source address (see <see cref="LoginThrottleOptions"/>).
/// Per auth server: with several auth servers each applies its own limits.
/// </summary>
internal sealed class LoginThrottle(TimeProvider time, LoginThrottleOptions options)
{
    private const int MaxEntries = 100_000;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>How long the caller must wait, or null when the attempt may proceed.</summary>
    public TimeSpan? RetryAfter(string user, string address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var a = Remaining(UserKey(user), now);
            var b = Remaining(AddressKey(address), now);
            return a is null ? b : b is null ? a : (a > b ? a : b);
        }
    }

    public void RecordFailure(string user, string address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_entries.Count >= MaxEntries)
            {
                Prune(now);
            }

            Fail(UserKey(user), options.FreeFailuresPerUser, now);
            Fail(AddressKey(address), options.FreeFailuresPerAddress, now);
        }
    }

    /// <summary>A successful login clears the user's counter (not the address's: one valid account must not reset it).</summary>
    public void RecordSuccess(string user)
    {
        lock (_lock)
        {
            _entries.Remove(UserKey(user));
        }
    }

    private TimeSpan? Remaining(string key, DateTimeOffset now)
    {
        if (_entries.TryGetValue(key, out var e) && e.LockedUntil > now)
        {
            return e.LockedUntil - now;
        }

        return null;
    }

    private void Fail(string key, int free, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var e) || now - e.LastFailure > options.ForgetAfter)
        {
            e = new Entry();
            _entries[key] = e;
        }

        e.Failures++;
        e.LastFailure = now;
        var extra = e.Failures - free;
        if (extra >= 0)
        {
            var seconds = options.BaseLockout.TotalSeconds * Math.Pow(2, Math.Min(extra, 30));
            var lockout = TimeSpan.FromSeconds(Math.Min(seconds, options.MaxLockout.TotalSeconds));
            e.LockedUntil = now + lockout;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, e) in _entries.ToArray())
        {
            if (e.LockedUntil <= now && now - e.LastFailure > TimeSpan.FromMinutes(1))
            {
                _entries.Remove(key);
            }
        }
    }

    private static string UserKey(string user) => "u:" + user;

    private static string AddressKey(string address) => "a:" + address;

    private sealed class Entry
    {
        public int Failures;
        public DateTimeOffset LastFailure;
        public DateTimeOffset LockedUntil;
    }
}
