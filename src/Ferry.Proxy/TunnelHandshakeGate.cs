using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Proxy;

/// <summary>
/// Bounds the agent tunnel TLS handshakes a proxy runs at once (<c>proxy.max_tunnel_handshakes</c>). After a proxy
/// restart every agent dials it within seconds; on a small machine unbounded handshakes starve each other past the
/// handshake timeout, the agents retry, and the proxy churns. Over the bound a tunnel connection is closed right after
/// its ClientHello is read, before any TLS work (counted in <c>ferry_tunnel_handshakes_shed_total</c>, one log line per
/// <see cref="LogInterval"/> at most); its agent backs off (<c>TunnelBackoff</c>) and comes back later.
/// </summary>
internal sealed partial class TunnelHandshakeGate(int limit, TimeProvider time, ILogger log)
{
    public const int DefaultLimit = 64;

    /// <summary>At most one "handshakes shed" line per this interval (with the count since the previous line).</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly Lock _logLock = new();
    private int _inFlight;
    private long _unreported;
    private DateTimeOffset _nextLog = DateTimeOffset.MinValue;

    public int Limit => limit;

    /// <summary>Handshakes running now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Connections shed in all.</summary>
    public long Shed => Interlocked.Read(ref _shed);

    private long _shed;

    /// <summary>Takes a handshake slot, or counts (and maybe logs) the connection as shed and returns false.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _shed);
        Interlocked.Increment(ref _unreported);
        FerryMetrics.TunnelHandshakeShed();
        ReportShed();
        return false;
    }

    /// <summary>Gives back the slot of a handshake that finished (either way).</summary>
    public void Exit() => Interlocked.Decrement(ref _inFlight);

    private void ReportShed()
    {
        var now = time.GetUtcNow();
        lock (_logLock)
        {
            if (now < _nextLog)
            {
                return;
            }

            _nextLog = now + LogInterval;
            HandshakesShed(log, Interlocked.Exchange(ref _unreported, 0), limit);
        }
    }

    [LoggerMessage(EventId = 1150, EventName = "TunnelHandshakesShed", Level = LogLevel.Warning,
        Message = "Closed {Count} agent tunnel connections before TLS: {Limit} tunnel handshakes were in flight (proxy.max_tunnel_handshakes); the agents retry after their backoff")]
    private static partial void HandshakesShed(ILogger logger, long count, int limit);
}
