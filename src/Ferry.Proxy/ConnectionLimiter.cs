using System.Collections.Concurrent;
using System.Net;

namespace Ferry.Proxy;

/// <summary>
/// Caps the client connections one proxy holds open: in total (<c>proxy.max_connections</c>) and per
/// source address (<c>proxy.max_connections_per_source</c>), over both listeners. A connection takes a
/// slot when accepted and gives it back when it ends; over a cap it is refused at once, before anything
/// is read from it, so a flood from one address cannot take the slots everyone else needs.
/// </summary>
public sealed class ConnectionLimiter(int maxTotal, int maxPerSource)
{
    public const int DefaultMaxConnections = 10_000;
    public const int DefaultMaxConnectionsPerSource = 1_000;

    private readonly ConcurrentDictionary<IPAddress, int> _perSource = new();
    private int _total;

    public int MaxTotal => maxTotal;

    public int MaxPerSource => maxPerSource;

    public int Total => Volatile.Read(ref _total);

    /// <summary>Takes a slot for <paramref name="source"/>; null when granted, else the refusal reason word.</summary>
    public string? TryAcquire(IPAddress source)
    {
        if (Interlocked.Increment(ref _total) > maxTotal)
        {
            Interlocked.Decrement(ref _total);
            return Refusals.ConnectionLimit;
        }
        var count = _perSource.AddOrUpdate(source, 1, static (_, n) => n + 1);
        if (count > maxPerSource)
        {
            ReleaseSource(source);
            Interlocked.Decrement(ref _total);
            return Refusals.SourceConnectionLimit;
        }
        return null;
    }

    public void Release(IPAddress source)
    {
        ReleaseSource(source);
        Interlocked.Decrement(ref _total);
    }

    public int CountFor(IPAddress source) => _perSource.GetValueOrDefault(source);

    private void ReleaseSource(IPAddress source)
    {
        while (true)
        {
            var n = _perSource.GetValueOrDefault(source);
            if (n <= 1)
            {
                if (n == 0 || _perSource.TryRemove(new KeyValuePair<IPAddress, int>(source, n)))
                {
                    return;
                }
            }
            else if (_perSource.TryUpdate(source, n - 1, n))
            {
                return;
            }
        }
    }
}
