namespace Ferry.Audit;

/// <summary>Sidecar index of a sealed segment (<c>seg-N.idx</c>): lets search skip segments.</summary>
internal sealed class SegmentIndex
{
    public long Segment { get; set; }

    public int Count { get; set; }

    public DateTimeOffset MinTime { get; set; }

    public DateTimeOffset MaxTime { get; set; }

    public DateTimeOffset SealedAt { get; set; }

    public List<string> Users { get; set; } = [];

    /// <summary>Database service names and database names.</summary>
    public List<string> Databases { get; set; } = [];

    public List<string> Types { get; set; } = [];

    /// <summary>Highest <see cref="AuditEvent.Seq"/> per <see cref="AuditEvent.Source"/> in the segment (null before sources existed).</summary>
    public Dictionary<string, long>? Sources { get; set; }

    public string PrevHash { get; set; } = "";

    public string LastHash { get; set; } = "";
}
