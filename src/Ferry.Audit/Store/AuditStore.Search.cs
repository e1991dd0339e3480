using System.Text.Json;

namespace Ferry.Audit;

public sealed partial class AuditStore
{
    /// <summary>
    /// Events matching <paramref name="query"/> in time order (ties keep storage order), at most
    /// <see cref="AuditQuery.Limit"/>. Segments whose index shows they cannot match are not read.
    /// </summary>
    public IReadOnlyList<AuditEvent> Search(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var candidates = new List<(long Segment, bool Sealed)>();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (SegmentIndex idx in _sealed.Values)
            {
                if (SegmentFilter.MayMatch(query, idx))
                {
                    candidates.Add((idx.Segment, true));
                }
            }

            if (_builder.MayMatch(query))
            {
                candidates.Add((_builder.Segment, false));
            }
        }

        var results = new List<AuditEvent>();
        foreach ((long segment, bool isSealed) in candidates)
        {
            byte[]? data = TryReadSegment(segment, isSealed);
            if (data is not null)
            {
                ForEachRecord(data, (_, json) =>
                {
                    AuditEvent e = JsonSerializer.Deserialize(json, AuditJsonContext.Default.AuditEvent)!;
                    if (query.Matches(e))
                    {
                        results.Add(e);
                    }
                });
            }
        }

        IEnumerable<AuditEvent> ordered = results.OrderBy(e => e.Time);
        return query.Limit > 0 ? [.. ordered.Take(query.Limit)] : [.. ordered];
    }

    /// <summary>A session's statements in order with timings (all events with that session id).</summary>
    public AuditSessionView GetSession(string sessionId) =>
        AuditSessionView.Build(sessionId, Search(new AuditQuery { SessionId = sessionId, Limit = 0 }));

    private byte[]? TryReadSegment(long segment, bool isSealed)
    {
        try
        {
            return StoreFiles.ReadSegment(_dir, segment, isSealed);
        }
        catch (FileNotFoundException) when (!isSealed)
        {
            // Sealed while we were not holding the lock.
            return TryReadSegment(segment, isSealed: true);
        }
        catch (FileNotFoundException)
        {
            // Removed by retention meanwhile.
            return null;
        }
    }
}
