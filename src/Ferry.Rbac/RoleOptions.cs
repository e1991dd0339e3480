namespace Ferry.Rbac;

/// <summary>Options of a role (the <c>options:</c> mapping).</summary>
/// <param name="MaxSessionTtl">Longest certificate lifetime the role allows; null means <see cref="DefaultMaxSessionTtl"/>.</param>
/// <param name="RequireSessionMfa">Whether sessions need a certificate whose MFA flag is set.</param>
/// <param name="AuditSearch">Whether holders of the role may search the audit log.</param>
/// <param name="MaxSessions">
/// Most database sessions a user may hold at once on one database (<c>max_sessions</c>); null sets no limit.
/// With several roles the smallest limit wins.
/// </param>
public sealed record RoleOptions(TimeSpan? MaxSessionTtl, bool RequireSessionMfa, bool AuditSearch, int? MaxSessions = null)
{
    /// <summary>Largest <c>max_sessions</c> a role may set.</summary>
    public const int MaxSessionsLimit = 100_000;

    /// <summary>Cap applied when a role does not set <c>max_session_ttl</c>.</summary>
    public static readonly TimeSpan DefaultMaxSessionTtl = TimeSpan.FromHours(12);

    /// <summary>Options of a role that sets none.</summary>
    public static readonly RoleOptions Default = new(null, false, false);

    /// <summary>
    /// Whether the role lets its db users run MySQL replication commands (COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID,
    /// COM_REGISTER_SLAVE) on the databases it allows. A binlog carries every schema's changes, around <c>db_names</c>.
    /// </summary>
    public bool MySqlReplication { get; init; }

    /// <summary>
    /// <c>self_approval</c>: whether holders of the role may review (approve or deny) their own access requests.
    /// Off by default: a request needs someone else's review.
    /// </summary>
    public bool SelfApproval { get; init; }

    /// <summary>Default <c>session_mfa_window</c>: how long <c>ferry proxy db</c> opens connections after one MFA check.</summary>
    public static readonly TimeSpan DefaultSessionMfaWindow = TimeSpan.FromMinutes(5);

    /// <summary>Longest <c>session_mfa_window</c> a role may set.</summary>
    public static readonly TimeSpan MaxSessionMfaWindow = TimeSpan.FromHours(1);

    /// <summary>
    /// <c>session_mfa_window</c>: after one MFA check, how long the client may obtain new session-MFA certificates for
    /// the same route and key without a new check (<c>ferry proxy db</c>); null means <see cref="DefaultSessionMfaWindow"/>.
    /// With several roles the smallest window wins.
    /// </summary>
    public TimeSpan? SessionMfaWindow { get; init; }

    /// <summary>The window this role allows.</summary>
    public TimeSpan EffectiveSessionMfaWindow => SessionMfaWindow ?? DefaultSessionMfaWindow;

    /// <summary>The cap this role puts on a session.</summary>
    public TimeSpan EffectiveMaxSessionTtl => MaxSessionTtl ?? DefaultMaxSessionTtl;

    /// <summary>Largest <c>max_query_rows</c> a role may set.</summary>
    public const long MaxQueryRowsLimit = 1_000_000_000_000;

    /// <summary>Largest <c>max_query_bytes</c> (and egress <c>bytes</c>) a role may set: 1 PiB.</summary>
    public const long MaxQueryBytesLimit = 1L << 50;

    /// <summary>Longest <c>statement_timeout</c> a role may set.</summary>
    public static readonly TimeSpan MaxStatementTimeout = TimeSpan.FromDays(1);

    /// <summary>Longest <c>idle_timeout</c> a role may set.</summary>
    public static readonly TimeSpan MaxIdleTimeout = TimeSpan.FromDays(7);

    /// <summary>Longest egress <c>per</c> window a role may set.</summary>
    public static readonly TimeSpan MaxEgressWindow = TimeSpan.FromDays(31);

    /// <summary><c>max_query_rows</c>: most rows one statement may return; a result with more is stopped. Null: no limit.</summary>
    public long? MaxQueryRows { get; init; }

    /// <summary><c>max_query_bytes</c>: most bytes the database may send for one statement; a result with more is stopped. Null: no limit.</summary>
    public long? MaxQueryBytes { get; init; }

    /// <summary>
    /// <c>statement_timeout</c>: set at session start as PostgreSQL <c>statement_timeout</c>, MariaDB <c>max_statement_time</c>,
    /// MySQL <c>max_execution_time</c>, and pinned (statements that would change it are refused). Null: not set.
    /// </summary>
    public TimeSpan? StatementTimeout { get; init; }

    /// <summary><c>idle_timeout</c>: a session with no message from the client for longer is closed. Null: no limit.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary><c>read_only</c>: sessions are made read-only at start (and pinned).</summary>
    public bool ReadOnly { get; init; }

    /// <summary><c>egress</c>: rows and bytes per user and database within a window, across sessions. Null: no budget.</summary>
    public EgressLimit? Egress { get; init; }
}
