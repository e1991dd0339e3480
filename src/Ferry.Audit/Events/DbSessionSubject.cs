namespace Ferry.Audit;

/// <summary>
/// The database session an event is about, as every <c>db.session.*</c> event names it: who, from
/// where, which session, and which database (<paramref name="DbProtocol"/>: <c>postgres</c> or
/// <c>mysql</c>). A part not known yet stays null.
/// </summary>
public sealed record DbSessionSubject(
    string? User = null, IReadOnlyList<string>? Roles = null, string? ClientAddr = null, string? SessionId = null,
    string? DbService = null, string? DbProtocol = null, string? DbUser = null, string? DbName = null,
    IReadOnlyDictionary<string, string>? DbLabels = null);
