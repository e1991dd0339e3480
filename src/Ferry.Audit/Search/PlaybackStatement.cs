namespace Ferry.Audit;

/// <summary>
/// One statement of a played-back session: the statement's own event (PostgreSQL Query/Execute/FunctionCall, MySQL
/// COM_QUERY/COM_STMT_EXECUTE, other commands) with what came back, taken from its <c>db.session.result</c> event.
/// JSON (snake_case): <c>{"sequence","event_id","time","offset_ms","kind","query","parameters","rows","bytes",
/// "duration_us","success","error","code","tag","limit",...}</c>.
/// </summary>
public sealed class PlaybackStatement
{
    /// <summary>1, 2, 3, … in session order.</summary>
    public int Sequence { get; set; }

    /// <summary>The id of the statement's audit event (what <c>details.statement</c> of its result names).</summary>
    public string EventId { get; set; } = "";

    public DateTimeOffset Time { get; set; }

    /// <summary>Milliseconds since the session started.</summary>
    public double OffsetMs { get; set; }

    /// <summary>The event type, e.g. <c>db.session.query</c>, <c>db.session.execute</c>, <c>db.session.mysql.statements.execute</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The statement text; for a PostgreSQL Execute, the text of the statement its portal was bound to.</summary>
    public string? Query { get; set; }

    /// <summary>True when <see cref="Query"/> is only the start of the statement.</summary>
    public bool? Truncated { get; set; }

    public string? StatementName { get; set; }

    public long? StatementId { get; set; }

    /// <summary>Parameters (PostgreSQL Bind of the executed portal, FunctionCall arguments, MySQL COM_STMT_EXECUTE).</summary>
    public IReadOnlyList<string?>? Parameters { get; set; }

    /// <summary>Rows returned or affected; null while no result is known.</summary>
    public long? Rows { get; set; }

    /// <summary>Bytes the database sent for the statement.</summary>
    public long? Bytes { get; set; }

    public long? DurationUs { get; set; }

    /// <summary>False when the statement failed or was stopped.</summary>
    public bool Success { get; set; } = true;

    /// <summary>"&lt;code&gt; &lt;message&gt;" of a failure.</summary>
    public string? Error { get; set; }

    /// <summary>SQLSTATE or MySQL error number of a failure.</summary>
    public string? Code { get; set; }

    /// <summary>The command tag (PostgreSQL CommandComplete, e.g. <c>SELECT 5</c>).</summary>
    public string? Tag { get; set; }

    /// <summary>The role limit that stopped the statement (<c>max_query_rows</c>, <c>max_query_bytes</c>, <c>egress</c>, <c>statement_timeout</c>).</summary>
    public string? Limit { get; set; }

    /// <summary>True when a result event was paired with the statement; false while it runs (or when none was recorded).</summary>
    public bool Finished { get; set; }

    /// <summary>Free details of the statement's event (MySQL command details, PostgreSQL function oid, …).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; set; }
}
