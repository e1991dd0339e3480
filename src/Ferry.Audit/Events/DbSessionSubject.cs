namespace Ferry.Audit;

/// <summary>
/// The database session an event is about, as every <c>db.session.*</c> event names it (who, from
/// where, which session and database). A part not known yet stays null.
/// </summary>
public sealed record DbSessionSubject
{
    public string? User { get; init; }

    public IReadOnlyList<string>? Roles { get; init; }

    public string? ClientAddr { get; init; }

    public string? SessionId { get; init; }

    public string? DbService { get; init; }

    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    public string? DbProtocol { get; init; }

    public string? DbUser { get; init; }

    public string? DbName { get; init; }

    public IReadOnlyDictionary<string, string>? DbLabels { get; init; }
}
