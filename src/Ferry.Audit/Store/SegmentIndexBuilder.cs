namespace Ferry.Audit;

/// <summary>Accumulates the index of the active segment as events are appended.</summary>
internal sealed class SegmentIndexBuilder
{
    private readonly HashSet<string> _users = new(StringComparer.Ordinal);
    private readonly HashSet<string> _databases = new(StringComparer.Ordinal);
    private readonly HashSet<string> _types = new(StringComparer.Ordinal);
    private Dictionary<string, long>? _sources;

    public SegmentIndexBuilder(long segment, byte[] prevHash)
    {
        Segment = segment;
        PrevHash = prevHash;
        LastHash = prevHash;
    }

    public long Segment { get; }

    public byte[] PrevHash { get; }

    public byte[] LastHash { get; set; }

    public int Count { get; private set; }

    public DateTimeOffset MinTime { get; private set; } = DateTimeOffset.MaxValue;

    public DateTimeOffset MaxTime { get; private set; } = DateTimeOffset.MinValue;

    public void Add(AuditEvent e)
    {
        Count++;
        if (e.Time < MinTime)
        {
            MinTime = e.Time;
        }

        if (e.Time > MaxTime)
        {
            MaxTime = e.Time;
        }

        if (e.User is not null)
        {
            _users.Add(e.User);
        }

        if (e.DbService is not null)
        {
            _databases.Add(e.DbService);
        }

        if (e.DbName is not null)
        {
            _databases.Add(e.DbName);
        }

        _types.Add(e.Type);
        DeliveryDedupe.Collect(e, ref _sources);
    }

    public bool MayMatch(AuditQuery q) => SegmentFilter.MayMatch(q, Count, MinTime, MaxTime, _users, _databases, _types);

    public SegmentIndex Build(DateTimeOffset sealedAt) => new()
    {
        Segment = Segment,
        Count = Count,
        MinTime = MinTime,
        MaxTime = MaxTime,
        SealedAt = sealedAt,
        Users = [.. _users.Order(StringComparer.Ordinal)],
        Databases = [.. _databases.Order(StringComparer.Ordinal)],
        Types = [.. _types.Order(StringComparer.Ordinal)],
        Sources = _sources,
        PrevHash = Convert.ToHexStringLower(PrevHash),
        LastHash = Convert.ToHexStringLower(LastHash),
    };
}
