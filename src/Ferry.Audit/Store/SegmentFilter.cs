namespace Ferry.Audit;

/// <summary>Decides from an index alone whether a segment can hold matches for a query.</summary>
internal static class SegmentFilter
{
    public static bool MayMatch(
        AuditQuery q,
        int count,
        DateTimeOffset min,
        DateTimeOffset max,
        IReadOnlyCollection<string> users,
        IReadOnlyCollection<string> databases,
        IReadOnlyCollection<string> types)
    {
        if (count == 0)
        {
            return false;
        }

        if ((q.Since is { } since && max < since) || (q.Until is { } until && min >= until))
        {
            return false;
        }

        return (q.User is null || users.Contains(q.User))
            && (q.Database is null || databases.Contains(q.Database))
            && (q.Type is null || types.Contains(q.Type));
    }

    public static bool MayMatch(AuditQuery q, SegmentIndex index) =>
        MayMatch(q, index.Count, index.MinTime, index.MaxTime, index.Users, index.Databases, index.Types);
}
