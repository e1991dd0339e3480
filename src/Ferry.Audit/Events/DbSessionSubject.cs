namespace Ferry.Audit;

/// <summary>
/// The database session an event is about, as every <c>db.session.*</c> event names it: who, from
/// where, which session, and which database (<paramref name="DbProtocol"/>: <c>postgres</c> or
/// <c>mysql</c>). A part not known yet stays null. <paramref name="AccessRequestIds"/>: the approved access requests
/// the user's certificate names (an elevated session); null for an ordinary one.
/// </summary>
public sealed record DbSessionSubject(
    string? User = null, IReadOnlyList<string>? Roles = null, string? ClientAddr = null, string? SessionId = null,
    string? DbService = null, string? DbProtocol = null, string? DbUser = null, string? DbName = null,
    IReadOnlyDictionary<string, string>? DbLabels = null, IReadOnlyList<string>? AccessRequestIds = null);
