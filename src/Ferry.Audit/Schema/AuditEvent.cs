namespace Ferry.Audit;

/// <summary>
/// One audit event. Common fields first, then database fields, then per-type fields.
/// An event handed to <see cref="IAuditSink.Emit"/> must not be mutated afterwards.
/// The JSON form (snake_case, nulls omitted) is produced by <see cref="AuditJsonContext"/>.
/// </summary>
public sealed class AuditEvent
{
    // ---- common ----

    /// <summary>Unique id (ULID, see <see cref="AuditEventId.New()"/>, or a GUIDv7 string). Duplicates are dropped by the store.</summary>
    public string Id { get; set; } = "";

    /// <summary>When the event happened (UTC recommended).</summary>
    public DateTimeOffset Time { get; set; }

    /// <summary>Stable event code, e.g. <c>TDB00I</c>; see <see cref="AuditEventKinds"/>.</summary>
    public string Code { get; set; } = "";

    /// <summary>Stable event type, e.g. <c>db.session.query</c>; see <see cref="AuditEventTypes"/>.</summary>
    public string Type { get; set; } = "";

    public string? Cluster { get; set; }

    public string? User { get; set; }

    public IReadOnlyList<string>? Roles { get; set; }

    public string? ClientAddr { get; set; }

    public string? SessionId { get; set; }

    public string? ServerId { get; set; }

    public string? AgentId { get; set; }

    public bool Success { get; set; } = true;

    public string? Error { get; set; }

    // ---- database ----

    public string? DbService { get; set; }

    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    public string? DbProtocol { get; set; }

    public string? DbUser { get; set; }

    public string? DbName { get; set; }

    public IReadOnlyDictionary<string, string>? DbLabels { get; set; }

    /// <summary>The approved access requests the user's certificate names: set on the events of an elevated session.</summary>
    public IReadOnlyList<string>? AccessRequestIds { get; set; }

    // ---- per type ----

    /// <summary>The statement's text, at most the configured number of bytes of it (see <see cref="Truncated"/>).</summary>
    public string? Query { get; set; }

    /// <summary>The statement's true length in bytes, whatever <see cref="Query"/> kept of it.</summary>
    public long? QueryLength { get; set; }

    /// <summary>SHA-256 (lower-case hex) of the whole statement as the client sent it.</summary>
    public string? QuerySha256 { get; set; }

    /// <summary>True when <see cref="Query"/> is only the start of the statement; absent otherwise.</summary>
    public bool? Truncated { get; set; }

    public string? StatementName { get; set; }

    /// <summary>MySQL prepared statement id (COM_STMT_*).</summary>
    public long? StatementId { get; set; }

    public IReadOnlyList<string?>? Parameters { get; set; }

    /// <summary>The parameters shown cut in <see cref="Parameters"/>: true length and SHA-256 of each.</summary>
    public IReadOnlyList<AuditTruncatedValue>? TruncatedParameters { get; set; }

    public long? Rows { get; set; }

    public long? BytesIn { get; set; }

    public long? BytesOut { get; set; }

    /// <summary>Duration in microseconds (statement or session).</summary>
    public long? DurationUs { get; set; }

    /// <summary>Why a session ended: a <see cref="SessionEndReason"/> by its name (<c>client_closed</c>, <c>lock</c>, ...).</summary>
    public string? EndReason { get; set; }

    /// <summary>Free key/value details (auth events: method, mfa, target user, role name, ...).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; set; }

    // ---- delivery ----

    /// <summary>
    /// The spool that wrote the event: a random id drawn each time a spool is opened. With <see cref="Seq"/> it is
    /// how the store drops re-sent events while remembering one number per source, not one id per event.
    /// Set by <see cref="AuditSpool"/>; null on events that never went through a spool (the store's own).
    /// </summary>
    public string? Source { get; set; }

    /// <summary>Position of the event in its <see cref="Source"/>: 1, 2, 3, … in the order the spool wrote (and ships) them.</summary>
    public long? Seq { get; set; }

    /// <summary>
    /// The JSON of the session fields this event was made with (<see cref="AuditEventFactory.Create(AuditEventKind, DbSessionSubject)"/>),
    /// which the spool copies instead of writing them again while they are unchanged. Not part of the event.
    /// </summary>
    internal SessionFragments? Fragments { get; set; }
}
