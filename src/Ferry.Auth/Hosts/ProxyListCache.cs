using Ferry.Diagnostics;

namespace Ferry.Auth.Hosts;

/// <summary>
/// The proxies agents are told about (the agent mesh), read from the backend at most once per <see cref="Ttl"/>: every
/// agent registration (one per agent every 10 s) answers with the list, and without a cache each would be a range read
/// of every host record. Concurrent callers share one read; a failed read is not kept (the next caller reads again);
/// <see cref="Invalidate"/> (after a change this auth server made) makes the next caller read at once. Changes made by
/// other auth servers on the same backend show within <see cref="Ttl"/>.
/// </summary>
internal sealed class ProxyListCache(TimeProvider time, TimeSpan ttl)
{
    /// <summary>How long a read serves: short against the 10 s between an agent's registrations and the 60 s list TTL.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private Task<IReadOnlyList<ProxyListEntry>>? _read;
    private DateTimeOffset _readStarted;

    public TimeSpan Ttl => ttl;

    /// <summary>The cached entries, or those of a new read by <paramref name="read"/> when none is fresh.</summary>
    public Task<IReadOnlyList<ProxyListEntry>> GetAsync(Func<CancellationToken, Task<IReadOnlyList<ProxyListEntry>>> read, CancellationToken ct)
    {
        Task<IReadOnlyList<ProxyListEntry>> current;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_read is { } r && !r.IsFaulted && !r.IsCanceled && now - _readStarted < ttl)
            {
                current = r;
            }
            else
            {
                // Not the caller's token: other callers wait on the same read.
                current = _read = read(CancellationToken.None);
                _readStarted = now;
                FerryMetrics.ProxyListRead("backend");
                return current.WaitAsync(ct);
            }
        }

        FerryMetrics.ProxyListRead("cache");
        return current.WaitAsync(ct);
    }

    /// <summary>The next <see cref="GetAsync"/> reads the backend.</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _read = null;
        }
    }
}

/// <summary>A proxy with a tunnel address, as stored (the list's age filter applies at each use).</summary>
internal sealed record ProxyListEntry(string HostId, string Address, DateTimeOffset ReportedAt);
