namespace Ferry.Agent;

/// <summary>
/// The delay before an agent dials a proxy again: exponential backoff with full jitter, a uniformly random delay in
/// [0, min(<see cref="Cap"/>, <see cref="Base"/> × 2^attempt)). After a proxy restarts, its agents' reconnects are spread
/// over up to <see cref="Cap"/> instead of arriving at once; the attempt count starts again once a tunnel is up.
/// </summary>
public static class TunnelBackoff
{
    public static readonly TimeSpan Base = TimeSpan.FromMilliseconds(200);

    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(3);

    /// <summary>The upper bound of the delay after <paramref name="attempt"/> failed attempts in a row (0 for the first retry).</summary>
    public static TimeSpan Ceiling(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(Cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 16))));

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
