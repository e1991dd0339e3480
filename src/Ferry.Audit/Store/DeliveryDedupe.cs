namespace Ferry.Audit;

/// <summary>
/// What the store remembers to drop re-sent events, in memory bounded by configuration, not by the number of events.
/// <list type="bullet">
/// <item>Events with a <see cref="AuditEvent.Source"/> and <see cref="AuditEvent.Seq"/> (everything a spool wrote):
/// one number per source, the highest sequence stored. A spool ships in order and re-sends only a range after its
/// last ack, so an event at or below that number is one the store has, and one above it is new: exactly once,
/// and nothing new is ever dropped.</item>
/// <item>Events without (written by an older release, or straight into the store): the ids of the most recent
/// <see cref="MaxRecentIds"/> of them.</item>
/// </list>
/// A source not seen for the dedupe window is forgotten, and past <see cref="MaxSources"/> the least recently seen
/// quarter is: a batch re-sent after that is stored twice, never lost. Not thread-safe (the store's lock).
/// </summary>
internal sealed class DeliveryDedupe(int maxSources, int maxRecentIds)
{
    /// <summary>Longest <see cref="AuditEvent.Source"/> remembered as one; a longer one is treated as absent.</summary>
    public const int MaxSourceLength = 128;

    private readonly Dictionary<string, Mark> _sources = new(StringComparer.Ordinal);
    private readonly HashSet<UInt128> _recentIds = [];
    private readonly Queue<UInt128> _recentOrder = new();
    private long _clock;

    public int MaxSources { get; } = maxSources;

    public int MaxRecentIds { get; } = maxRecentIds;

    /// <summary>Sources remembered now.</summary>
    public int SourceCount => _sources.Count;

    /// <summary>Ids of source-less events remembered now.</summary>
    public int RecentIdCount => _recentIds.Count;

    /// <summary>True when <paramref name="e"/> is new (and now remembered); false for a duplicate.</summary>
    public bool TryAccept(AuditEvent e, DateTimeOffset now)
    {
        if (HasSource(e, out string source, out long seq))
        {
            ref Mark mark = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_sources, source, out bool exists);
            if (exists && seq <= mark.Seq)
            {
                mark.LastUse = ++_clock;
                mark.LastSeen = now;
                return false;
            }

            mark = new Mark(seq, ++_clock, now);
            if (!exists && _sources.Count > MaxSources)
            {
                EvictLeastRecent(source);
            }

            return true;
        }

        UInt128 key = AuditEventId.DedupeKey(e.Id);
        if (!_recentIds.Add(key))
        {
            return false;
        }

        _recentOrder.Enqueue(key);
        while (_recentOrder.Count > MaxRecentIds)
        {
            _recentIds.Remove(_recentOrder.Dequeue());
        }

        return true;
    }

    /// <summary>Remembers an event already stored (recovery): like <see cref="TryAccept"/>, for its effect only.</summary>
    public void Note(AuditEvent e, DateTimeOffset seen) => TryAccept(e, seen);

    /// <summary>Remembers <paramref name="seq"/> as stored for <paramref name="source"/> (recovery from a segment index).</summary>
    public void Note(string source, long seq, DateTimeOffset seen)
    {
        ref Mark mark = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_sources, source, out bool exists);
        mark = new Mark(exists ? Math.Max(mark.Seq, seq) : seq, ++_clock, exists && mark.LastSeen > seen ? mark.LastSeen : seen);
        if (!exists && _sources.Count > MaxSources)
        {
            EvictLeastRecent(source);
        }
    }

    /// <summary>Forgets sources last seen before <paramref name="before"/>.</summary>
    public void ForgetBefore(DateTimeOffset before)
    {
        List<string>? old = null;
        foreach (var (source, mark) in _sources)
        {
            if (mark.LastSeen < before)
            {
                (old ??= []).Add(source);
            }
        }

        foreach (string source in old ?? [])
        {
            _sources.Remove(source);
        }
    }

    public void Clear()
    {
        _sources.Clear();
        _recentIds.Clear();
        _recentOrder.Clear();
    }

    /// <summary>Highest sequence per source among <paramref name="events"/>, for a segment index; null when none has a source.</summary>
    public static void Collect(AuditEvent e, ref Dictionary<string, long>? marks)
    {
        if (HasSource(e, out string source, out long seq))
        {
            marks ??= new Dictionary<string, long>(StringComparer.Ordinal);
            ref long max = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(marks, source, out _);
            max = Math.Max(max, seq);
        }
    }

    private static bool HasSource(AuditEvent e, out string source, out long seq)
    {
        source = e.Source!;
        seq = e.Seq.GetValueOrDefault();
        return source is { Length: > 0 and <= MaxSourceLength } && seq > 0;
    }

    /// <summary>Drops the least recently used quarter of the sources (amortised O(1) per new source), never <paramref name="keep"/>.</summary>
    private void EvictLeastRecent(string keep)
    {
        int drop = Math.Max(1, _sources.Count / 4);
        var byUse = new List<(long LastUse, string Source)>(_sources.Count);
        foreach (var (source, mark) in _sources)
        {
            if (!ReferenceEquals(source, keep) && source != keep)
            {
                byUse.Add((mark.LastUse, source));
            }
        }

        byUse.Sort((a, b) => a.LastUse.CompareTo(b.LastUse));
        for (int i = 0; i < drop && i < byUse.Count; i++)
        {
            _sources.Remove(byUse[i].Source);
        }
    }

    private record struct Mark(long Seq, long LastUse, DateTimeOffset LastSeen);
}
