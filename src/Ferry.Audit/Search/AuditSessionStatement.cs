namespace Ferry.Audit;

/// <summary>One statement-level event of a session, with its offset from the session start.</summary>
public sealed record AuditSessionStatement(
    int Sequence,
    DateTimeOffset Time,
    TimeSpan Offset,
    string Type,
    string? Query,
    string? StatementName,
    IReadOnlyList<string?>? Parameters,
    long? DurationUs,
    long? Rows,
    bool Success,
    string? Error);
