namespace Ferry.Agent;

/// <summary>
/// The delay before an agent dials a proxy again: exponential backoff with full jitter, a uniformly random delay in
/// [0, <see cref="Ceiling"/>). The ceiling doubles from <see cref="Base"/> up to <see cref="FastCap"/> (3 s) for the
/// first <see cref="FastAttempts"/> failures, so after a proxy restarts its agents' reconnects are spread over a few
/// seconds and come back quickly; an agent that keeps failing after that (a proxy down for longer, or too busy to
/// take its handshake: <c>proxy.max_tunnel_handshakes</c>) doubles on up to <see cref="Cap"/> (30 s), so a small proxy
/// is not kept churning by retries. The count starts again only once a tunnel <see cref="StableAfter">stayed up</see>:
/// a tunnel that comes up and drops at once does not buy its agent fast retries.
/// </summary>
public sealed class TunnelBackoff(TimeProvider time, Func<double> random)
{
    public static readonly TimeSpan Base = TimeSpan.FromMilliseconds(200);

    /// <summary>The ceiling of the first <see cref="FastAttempts"/> retries.</summary>
    public static readonly TimeSpan FastCap = TimeSpan.FromSeconds(3);

    /// <summary>Failures in a row under <see cref="FastCap"/> (about 10 to 25 s of trying) before the ceiling grows on.</summary>
    public const int FastAttempts = 10;

    /// <summary>The ceiling after repeated failures.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    /// <summary>How long a tunnel must stay up for the next failure to start from <see cref="Base"/> again.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);

    private int _attempt;
    private DateTimeOffset? _upSince;

    /// <summary>Failed attempts in a row (or tunnels that did not stay up) since the last stable tunnel.</summary>
    public int Attempt => _attempt;

    /// <summary>The system clock and <see cref="Random.Shared"/>.</summary>
    public static TunnelBackoff CreateDefault() => new(TimeProvider.System, Random.Shared.NextDouble);

    /// <summary>The delay before the next dial after a failure or a tunnel that ended; counts the attempt.</summary>
    public TimeSpan Next()
    {
        if (_upSince is { } since && time.GetUtcNow() - since >= StableAfter)
        {
            _attempt = 0;
        }

        _upSince = null;
        return Delay(_attempt++, random());
    }

    /// <summary>A tunnel came up: if it stays up for <see cref="StableAfter"/>, the next failure starts over.</summary>
    public void Connected() => _upSince = time.GetUtcNow();

    /// <summary>The upper bound of the delay after <paramref name="attempt"/> failed attempts in a row (0 for the first retry).</summary>
    public static TimeSpan Ceiling(int attempt) => attempt < FastAttempts
        ? TimeSpan.FromMilliseconds(Math.Min(FastCap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, Math.Max(attempt, 0))))
        : TimeSpan.FromMilliseconds(Math.Min(Cap.TotalMilliseconds, FastCap.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - FastAttempts + 1, 16))));

    /// <summary>The delay for <paramref name="attempt"/> given a uniform <paramref name="random"/> in [0, 1).</summary>
    public static TimeSpan Delay(int attempt, double random)
    {
        if (random is < 0 or >= 1 || double.IsNaN(random))
        {
            throw new ArgumentOutOfRangeException(nameof(random), random, "expected a number in [0, 1)");
        }

        return TimeSpan.FromMilliseconds(random * Ceiling(attempt).TotalMilliseconds);
    }
}
