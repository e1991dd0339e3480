namespace Ferry.Audit;

/// <summary>A search over the store. Null fields do not filter. Results come in time order (oldest first).</summary>
public sealed record AuditQuery
{
    /// <summary>Inclusive lower bound on event time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Exclusive upper bound on event time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Exact Ferry user name.</summary>
    public string? User { get; init; }

    /// <summary>Database service name (e.g. <c>pg1</c>) or database name; exact.</summary>
    public string? Database { get; init; }

    /// <summary>Exact event type, e.g. <c>db.session.query</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Case-insensitive substring of the query, statement name, error, an access request id or a details value.</summary>
    public string? Contains { get; init; }

    public string? SessionId { get; init; }

    /// <summary>Most events returned (the oldest matching ones). 0 or less: no limit. Default 1000.</summary>
    public int Limit { get; init; } = 1000;

    /// <summary>True when <paramref name="e"/> satisfies every filter except <see cref="Limit"/>.</summary>
    public bool Matches(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if ((Since is { } since && e.Time < since) || (Until is { } until && e.Time >= until))
        {
            return false;
        }

        if ((User is not null && e.User != User)
            || (Type is not null && e.Type != Type)
            || (SessionId is not null && e.SessionId != SessionId)
            || (Database is not null && e.DbService != Database && e.DbName != Database))
        {
            return false;
        }

        return Contains is null || ContainsText(e, Contains);
    }

    private static bool ContainsText(AuditEvent e, string needle)
    {
        if (Has(e.Query, needle) || Has(e.StatementName, needle) || Has(e.Error, needle))
        {
            return true;
        }

        if (e.AccessRequestIds is not null && e.AccessRequestIds.Any(id => Has(id, needle)))
        {
            return true;
        }

        if (e.Details is not null)
        {
            foreach (KeyValuePair<string, string> kv in e.Details)
            {
                if (Has(kv.Value, needle))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool Has(string? haystack, string needle) =>
        haystack is not null && haystack.Contains(needle, StringComparison.OrdinalIgnoreCase);
}
