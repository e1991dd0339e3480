namespace Ferry.Audit;

/// <summary>
/// A database session as the audit log saw it: who, where, start/end and its statements in order
/// with timings (the basis for replay). Built from all events carrying the session id.
/// </summary>
public sealed record AuditSessionView(
    string SessionId,
    string? User,
    string? DbService,
    string? DbUser,
    string? DbName,
    string? ClientAddr,
    DateTimeOffset? Start,
    DateTimeOffset? End,
    string? EndReason,
    bool Denied,
    IReadOnlyList<AuditSessionStatement> Statements)
{
    /// <summary>Session length (end minus start) when both are known.</summary>
    public TimeSpan? Duration => Start is { } s && End is { } e ? e - s : null;

    /// <summary>Builds the view from the session's events (any order; sorted by time, ties keep input order).</summary>
    public static AuditSessionView Build(string sessionId, IReadOnlyList<AuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        AuditEvent[] ordered = [.. events.Where(e => e.SessionId == sessionId).OrderBy(e => e.Time)];
        AuditEvent? start = ordered.FirstOrDefault(e => e.Type == AuditEventTypes.DbSessionStart);
        AuditEvent? end = ordered.LastOrDefault(e => e.Type == AuditEventTypes.DbSessionEnd);
        AuditEvent? any = start ?? ordered.FirstOrDefault();
        DateTimeOffset origin = start?.Time ?? any?.Time ?? default;
        var statements = new List<AuditSessionStatement>();
        foreach (AuditEvent e in ordered)
        {
            if (e.Type is AuditEventTypes.DbSessionStart or AuditEventTypes.DbSessionEnd)
            {
                continue;
            }

            statements.Add(new AuditSessionStatement(
                statements.Count + 1, e.Time, e.Time - origin, e.Type, e.Query, e.StatementName,
                e.Parameters, e.DurationUs, e.Rows, e.Success, e.Error));
        }

        return new AuditSessionView(
            sessionId, any?.User, any?.DbService, any?.DbUser, any?.DbName, any?.ClientAddr,
            start?.Time, end?.Time, end?.EndReason, start is { Success: false }, statements);
    }
}
