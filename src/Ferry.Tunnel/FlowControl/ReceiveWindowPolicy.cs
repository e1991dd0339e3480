namespace Ferry.Tunnel.FlowControl;

/// <summary>
/// Decides when to credit the peer's send window and by how much, for one stream.
/// <para>Batching: consumed bytes are credited in one WindowUpdate once half the window has been consumed.</para>
/// <para>Auto-tuning (BDP style): when half the window was consumed within a few round-trip times
/// (<see cref="GrowthRttMultiple"/>), the window is what limits throughput, so it doubles (up to the maximum) and the growth rides
/// on the same WindowUpdate.</para>
/// Methods ending in <c>Unsynchronized</c> expect the session lock to be held.
/// </summary>
internal sealed class ReceiveWindowPolicy
{
    /// <summary>
    /// Half a window consumed within this many sampled RTTs counts as window-limited. The RTT is sampled by
    /// pings on an idle queue, so it under-estimates the RTT seen by a busy stream; go-yamux uses the same factor.
    /// </summary>
    private const int GrowthRttMultiple = 4;

    private readonly uint _maxWindowSize;
    private uint _windowSize = FlowWindow.Initial;
    private uint _unacknowledged;
    private long _epochStart;

    public ReceiveWindowPolicy(uint maxWindowSize)
    {
        _maxWindowSize = Math.Max(maxWindowSize, FlowWindow.Initial);
    }

    /// <summary>Current window size (what the peer may have in flight at most).</summary>
    public uint WindowSize => _windowSize;

    /// <summary>Bytes consumed by the application and not yet credited to the peer.</summary>
    public uint Unacknowledged => _unacknowledged;

    /// <summary>
    /// Records that the application consumed <paramref name="bytes"/>. Returns the WindowUpdate delta
    /// to send now, or 0 to keep batching.
    /// </summary>
    /// <param name="bytes">Bytes the application consumed.</param>
    /// <param name="now">Current <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
    /// <param name="rttTicks">Measured round-trip time in Stopwatch ticks, 0 when unknown.</param>
    public uint OnConsumedUnsynchronized(uint bytes, long now, long rttTicks)
    {
        _unacknowledged += bytes;
        if (_unacknowledged < _windowSize / 2)
        {
            return 0;
        }

        uint delta = _unacknowledged;
        _unacknowledged = 0;

        if (_epochStart != 0 && rttTicks > 0 && now - _epochStart < GrowthRttMultiple * rttTicks && _windowSize < _maxWindowSize)
        {
            uint grown = (uint)Math.Min((ulong)_windowSize * 2, _maxWindowSize);
            delta += grown - _windowSize;
            _windowSize = grown;
        }

        _epochStart = now;
        return delta;
    }
}
