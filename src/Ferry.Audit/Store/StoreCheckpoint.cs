namespace Ferry.Audit;

/// <summary>
/// <c>checkpoint.json</c>: where the chain starts after retention (anchor), and how every sealed
/// segment ends (event count and last hash). Optionally HMAC-signed.
/// </summary>
internal sealed class StoreCheckpoint
{
    public int Version { get; set; } = 1;

    /// <summary>First segment still kept.</summary>
    public long AnchorSegment { get; set; } = 1;

    /// <summary>Chain hash just before the first event of <see cref="AnchorSegment"/> (zeros at genesis).</summary>
    public string AnchorHash { get; set; } = new('0', 64);

    /// <summary>Events removed by retention so far.</summary>
    public long DroppedEvents { get; set; }

    public List<CheckpointSegment> Segments { get; set; } = [];

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>HMAC-SHA256 (hex) over this object serialised with Mac = null.</summary>
    public string? Mac { get; set; }
}
