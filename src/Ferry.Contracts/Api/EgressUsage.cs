namespace Ferry.Contracts;

/// <summary>
/// What one agent counted for one user × database × window length since its last report, with the limit in force
/// (the auth service audits the crossing). Rows and bytes are deltas; 0 and 0 asks for the totals only.
/// </summary>
public sealed class EgressUsageDelta
{
    public string User { get; set; } = "";

    public string Database { get; set; } = "";

    /// <summary>The window length (<c>per</c>) in seconds.</summary>
    public long PerSeconds { get; set; }

    public long Rows { get; set; }

    public long Bytes { get; set; }

    public long? RowsLimit { get; set; }

    public long? BytesLimit { get; set; }

    /// <summary>
    /// The approved access requests the sessions' certificates named (sorted ids, comma-separated), empty for none.
    /// Sessions under an approved request count against a budget of their own, so approving a request grants a
    /// fresh budget (for the request's lifetime) once the user's own is spent.
    /// </summary>
    public string Grant { get; set; } = "";
}

/// <summary>The totals of one user × database × window after the report, across every agent.</summary>
public sealed class EgressUsageTotal
{
    public string User { get; set; } = "";

    public string Database { get; set; } = "";

    public long PerSeconds { get; set; }

    /// <summary>As <see cref="EgressUsageDelta.Grant"/>.</summary>
    public string Grant { get; set; } = "";

    public DateTimeOffset WindowStart { get; set; }

    public DateTimeOffset WindowEnd { get; set; }

    public long Rows { get; set; }

    public long Bytes { get; set; }
}

/// <summary><c>POST /v1/egress</c> (agent host certificate only): usage deltas in, totals out.</summary>
public sealed class EgressReport
{
    public List<EgressUsageDelta> Usage { get; set; } = [];
}

/// <summary>The answer to <see cref="EgressReport"/>: one total per reported entry, in the same order.</summary>
public sealed class EgressReportResponse
{
    public List<EgressUsageTotal> Usage { get; set; } = [];
}
