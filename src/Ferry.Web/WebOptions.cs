namespace Ferry.Web;

/// <summary>The web UI's settings (<c>web:</c> in ferry.yaml) and its bounds.</summary>
public sealed record WebOptions
{
    /// <summary>How long a web session may go without a request before it ends (<c>web.idle_timeout</c>).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest a web session lives (<c>web.session_ttl</c>); never beyond the user's <c>max_session_ttl</c>.</summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Where consoles connect to reach databases (<c>web.proxy_addr</c>, host:port of a Ferry proxy's port 3080).
    /// Null: the proxy of the same process (all-in-one), set by the host once it listens.
    /// </summary>
    public string? ProxyAddr { get; init; }

    /// <summary>Web sessions one user may have at once; a new login ends the user's oldest beyond this.</summary>
    public int MaxSessionsPerUser { get; init; } = 10;

    /// <summary>Web sessions in total; logins beyond are refused (503) until some end.</summary>
    public int MaxSessions { get; init; } = 10_000;

    /// <summary>Open consoles per web session.</summary>
    public int MaxConsolesPerSession { get; init; } = 4;

    /// <summary>Rows kept of one result (the rest is read and dropped, with a "truncated" note).</summary>
    public int MaxResultRows { get; init; } = 10_000;

    /// <summary>Bytes of row values kept of one result.</summary>
    public long MaxResultBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Longest statement a console sends (bytes of UTF-8).</summary>
    public int MaxStatementBytes { get; init; } = 256 * 1024;

    /// <summary>Largest request body of a web API endpoint.</summary>
    public long MaxRequestBodyBytes { get; init; } = 512 * 1024;

    /// <summary>Longest a console statement may run before the console gives up waiting (the database is then cancelled).</summary>
    public TimeSpan StatementTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often expired sessions are swept.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(30);
}
