namespace Ferry.Tunnel.FlowControl;

/// <summary>
/// A yamux stream window: how many Data bytes may still cross in one direction.
/// Not thread-safe; the session lock guards every instance.
/// </summary>
internal struct FlowWindow
{
    /// <summary>Window every stream starts with in both directions (spec.md "Flow Control").</summary>
    public const uint Initial = 256 * 1024;

    private long _available;

    public FlowWindow(uint initial) => _available = initial;

    /// <summary>Bytes that may still cross.</summary>
    public readonly long Available => _available;

    /// <summary>Takes <paramref name="bytes"/> from the window; false (and nothing taken) when it would go negative.</summary>
    public bool TryConsume(uint bytes)
    {
        if (bytes > _available)
        {
            return false;
        }

        _available -= bytes;
        return true;
    }

    /// <summary>Adds a WindowUpdate delta; false when the window would exceed 2^32-1 (the wire limit).</summary>
    public bool TryIncrease(uint delta)
    {
        long next = _available + delta;
        if (next > uint.MaxValue)
        {
            return false;
        }

        _available = next;
        return true;
    }
}
