namespace Ferry.Protocol.Postgres;

/// <summary>
/// The rate at which cancels for one key are acted on: a burst of <see cref="Burst"/>, then one per
/// <see cref="Refill"/>. Each cancel acted on costs a database connection, so a client replaying its
/// own valid key cannot turn one session into thousands of connections; a person pressing Ctrl-C, or a
/// driver cancelling each timed-out statement, stays far below it. Not thread-safe: lock around it.
/// </summary>
public sealed class CancelRate
{
    public const int Burst = 5;

    public static readonly TimeSpan Refill = TimeSpan.FromSeconds(1);

    private double _tokens = Burst;
    private DateTimeOffset _at;
    private bool _started;

    /// <summary>Takes one token at <paramref name="now"/>; false when the key has none left (the cancel is dropped).</summary>
    public bool TryTake(DateTimeOffset now)
    {
        if (_started)
        {
            var elapsed = now - _at;
            if (elapsed > TimeSpan.Zero)
            {
                _tokens = Math.Min(Burst, _tokens + (elapsed / Refill));
            }
        }
        _started = true;
        _at = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens -= 1;
        return true;
    }
}
