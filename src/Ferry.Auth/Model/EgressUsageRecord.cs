namespace Ferry.Auth.Model;

/// <summary>
/// Egress of one user on one database within one window of <c>per</c> seconds, summed over every agent:
/// <c>/egress/HASH/WINDOW</c>, leased until an hour after the window ends.
/// </summary>
internal sealed class EgressUsageRecord
{
    public string User { get; set; } = "";

    public string Database { get; set; } = "";

    public long PerSeconds { get; set; }

    public DateTimeOffset WindowStart { get; set; }

    public long Rows { get; set; }

    public long Bytes { get; set; }

    /// <summary>True once a report took the usage over a limit (the crossing is audited once).</summary>
    public bool Exceeded { get; set; }
}
