namespace Ferry.Contracts;

/// <summary>
/// One database session an agent is relaying right now. Agents report them (<c>POST /v1/agents/sessions</c>);
/// <c>GET /v1/sessions</c> lists them. JSON: <c>{"id","user","roles","database","protocol","db_user","db_name",
/// "client_addr","since","statements","rows","bytes","agent_id"}</c>.
/// </summary>
public sealed class LiveSessionInfo
{
    public string Id { get; set; } = "";

    public string User { get; set; } = "";

    public List<string> Roles { get; set; } = [];

    /// <summary>The database service name.</summary>
    public string Database { get; set; } = "";

    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    public string? Protocol { get; set; }

    public string? DbUser { get; set; }

    public string? DbName { get; set; }

    public string? ClientAddr { get; set; }

    public DateTimeOffset Since { get; set; }

    /// <summary>Statements sent so far (queries and executes).</summary>
    public long Statements { get; set; }

    /// <summary>Rows returned so far (from the statements' results).</summary>
    public long Rows { get; set; }

    /// <summary>Bytes the database sent for the statements' results so far.</summary>
    public long Bytes { get; set; }

    /// <summary>The agent relaying the session (set by the auth service from the reporting host's certificate).</summary>
    public string? AgentId { get; set; }
}

/// <summary><c>POST /v1/agents/sessions</c> (agent host certificate): every session the agent relays; replaces its previous report.</summary>
public sealed class LiveSessionsReport
{
    public List<LiveSessionInfo> Sessions { get; set; } = [];

    /// <summary>How long the report stands if no newer one comes (an agent that dies drops out after this).</summary>
    public int TtlSeconds { get; set; } = 30;
}

/// <summary><c>GET /v1/sessions</c>: the live sessions the caller may see (its own; every one for roles with <c>audit_search</c>).</summary>
public sealed class LiveSessionsResponse
{
    public List<LiveSessionInfo> Sessions { get; set; } = [];
}

/// <summary><c>POST /v1/sessions/{id}/end</c> (the <c>admin</c> role): end a live session, with a reason the user sees.</summary>
public sealed class SessionEndRequest
{
    public string Reason { get; set; } = "";
}

/// <summary>The answer to <see cref="SessionEndRequest"/>: the session lock that ends it on its agent.</summary>
public sealed class SessionEndResponse
{
    public string SessionId { get; set; } = "";

    public string LockId { get; set; } = "";

    public string? User { get; set; }

    public string? Database { get; set; }

    public string? AgentId { get; set; }
}
