namespace Ferry.Config;

/// <summary>The whole <c>ferry.yaml</c>: cluster-wide settings and one section per role.</summary>
public sealed record FerryConfig
{
    public string ClusterName { get; init; } = "ferry";
    public string DataDir { get; init; } = "/var/lib/ferry";
    public LogLevelSetting LogLevel { get; init; } = LogLevelSetting.Info;
    /// <summary>Where <c>/metrics</c>, <c>/healthz</c> and <c>/readyz</c> are served (IP:port); null = not served.</summary>
    public string? DiagAddr { get; init; }
    public AuthSection? Auth { get; init; }
    public ProxySection? Proxy { get; init; }

    /// <summary>
    /// False when the file says <c>proxy: { enabled: false }</c> (then <see cref="Proxy"/> is null): beside an auth
    /// section, an auth-only server (no proxy listening on 3080/3036). Without a proxy section an auth server runs
    /// one with the defaults.
    /// </summary>
    public bool ProxyEnabled { get; init; } = true;
    public AgentSection? Agent { get; init; }

    /// <summary><c>web:</c>, the browser UI served by the auth service; null = defaults (served with an auth section).</summary>
    public WebSection? Web { get; init; }

    /// <summary><c>notifications.webhook</c>: where the auth service sends access-request events; null = none.</summary>
    public WebhookConfig? Webhook { get; init; }
}

public enum LogLevelSetting
{
    Debug,
    Info,
    Warning,
    Error,
}

public sealed record AuthSection
{
    public string ListenAddr { get; init; } = "127.0.0.1:3025";
    public IReadOnlyList<string> PublicAddrs { get; init; } = [];
    public TimeSpan DefaultSessionTtl { get; init; } = TimeSpan.FromHours(12);
    /// <summary>Lifetime of a session-MFA certificate (for opening connections): at most 1 minute.</summary>
    public TimeSpan SessionMfaCertificateTtl { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan AuditRetention { get; init; } = TimeSpan.FromDays(365);
    /// <summary>How long an idle keep-alive API connection stays open.</summary>
    public TimeSpan ApiIdleTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public int MaxApiConnections { get; init; } = 1024;
    public int MaxApiConnectionsPerSource { get; init; } = 64;
    /// <summary><c>auth.sso</c>: single sign-on connectors (connectors stored with <c>ferryd admin sso add</c> are added to these).</summary>
    public IReadOnlyList<SsoConnectorConfig> Sso { get; init; } = [];

    /// <summary>
    /// <c>auth.health_check_users</c>: the db users an agent may get a certificate for without a user's session, for its
    /// health probe only (<c>agent.databases[].health_check_user</c>); empty = none. Create them with no privileges.
    /// </summary>
    public IReadOnlyList<string> HealthCheckUsers { get; init; } = [];

    /// <summary><c>auth.access_requests</c>: pending_ttl, max_pending_per_user, sweep_interval.</summary>
    public AccessRequestsConfig AccessRequests { get; init; } = new();

    /// <summary><c>auth.backend</c>: SQLite in the data directory (default) or a shared PostgreSQL database.</summary>
    public BackendConfig Backend { get; init; } = new();

    /// <summary><c>auth.audit_store</c>: segments (default with SQLite) or postgres (default with a postgres backend).</summary>
    public AuditStoreKind AuditStore { get; init; } = AuditStoreKind.Segments;

    /// <summary>
    /// <c>auth.server_id</c>: this auth server's name in its audit events, logs, metrics and host certificate; null =
    /// <c>auth-MACHINE-PORT</c> (machine name and listen port), so two auth servers on one backend differ.
    /// </summary>
    public string? ServerId { get; init; }
}

/// <summary><c>web:</c> the browser UI on the auth service's listener (reached through the proxy's port 3080).</summary>
public sealed record WebSection
{
    public bool Enabled { get; init; } = true;
    /// <summary>A web session without a request for this long ends (1m to 24h).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>The longest a web session lives (5m to 30d), never beyond the user's <c>max_session_ttl</c>.</summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromHours(8);
    /// <summary>host:port of the proxy consoles connect through when no proxy runs in the same process; null = that one.</summary>
    public string? ProxyAddr { get; init; }
}

public sealed record ProxySection
{

    public string ListenAddr { get; init; } = "0.0.0.0:3080";
    public string MySqlListenAddr { get; init; } = "0.0.0.0:3036";
    public IReadOnlyList<string> PublicAddrs { get; init; } = ["localhost:3080"];
    public string AuthAddr { get; init; } = "127.0.0.1:3025";
    /// <summary>
    /// <c>proxy.tunnel_addr</c>: host:port agents dial to reach this proxy. The auth service lists it to every agent, which
    /// keeps a tunnel to each listed proxy (agent mesh). Null: the proxy is not listed (agents reach it only when configured to).
    /// </summary>
    public string? TunnelAddr { get; init; }

    /// <summary><c>auth_addr</c> as a list (several auth servers on one backend): tried in order, failing over; the first is <see cref="AuthAddr"/>.</summary>
    public IReadOnlyList<string> AuthAddrs { get; init; } = ["127.0.0.1:3025"];
    public string? JoinToken { get; init; }
    /// <summary>SHA-256 of the cluster's host CA certificate (<c>sha256:hex</c>), checked on first contact before joining.</summary>
    public string? CaPin { get; init; }
    public long MaxMessageBytes { get; init; } = 64L * 1024 * 1024;
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Client connections the proxy holds open at most, over both listeners.</summary>
    public int MaxConnections { get; init; } = 10_000;
    /// <summary>Client connections one source address may hold open at most.</summary>
    public int MaxConnectionsPerSource { get; init; } = 1_000;

    /// <summary>
    /// <c>proxy.max_tunnel_handshakes</c>: agent tunnel TLS handshakes in flight at most; a tunnel connection over it is
    /// closed before TLS and its agent retries after its backoff (so a restart of a small proxy does not churn).
    /// </summary>
    public int MaxTunnelHandshakes { get; init; } = 64;
}

public sealed record AgentSection
{
    public IReadOnlyList<string> Proxies { get; init; } = [];
    public string? JoinToken { get; init; }
    public string? HostId { get; init; }
    /// <summary>SHA-256 of the cluster's host CA certificate (<c>sha256:hex</c>), checked on first contact before joining.</summary>
    public string? CaPin { get; init; }
    public IReadOnlyList<DatabaseConfig> Databases { get; init; } = [];

    /// <summary>
    /// <c>agent.max_statement_bytes</c>: how many bytes of a statement's text (and of each parameter) an audit
    /// event keeps; longer ones are cut and carry their true length and SHA-256. Default 64 KiB.
    /// </summary>
    public int MaxStatementBytes { get; init; } = DefaultMaxStatementBytes;

    public const int DefaultMaxStatementBytes = 64 * 1024;
}

public enum DatabaseProtocol
{
    Postgres,
    MySql,
}

public enum DatabaseTlsMode
{
    VerifyFull,
    VerifyCa,
    Insecure,
}

public sealed record DynamicLabel(string Name, IReadOnlyList<string> Command, TimeSpan Period);

public sealed record DatabaseConfig
{
    public required string Name { get; init; }
    public required DatabaseProtocol Protocol { get; init; }
    public required string Uri { get; init; }
    public string Description { get; init; } = "";
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<DynamicLabel> DynamicLabels { get; init; } = [];
    public DatabaseTlsMode TlsMode { get; init; } = DatabaseTlsMode.VerifyFull;
    public string? TlsCaFile { get; init; }
    public string? TlsServerName { get; init; }

    /// <summary>Server-connection reuse for a PostgreSQL database; null = every session opens its own (the default).</summary>
    public DatabasePoolConfig? Pool { get; init; }

    /// <summary>
    /// <c>health_check_user</c>: a db user (certificate login, no privileges needed) the agent's health probe logs in as
    /// and then quits cleanly; null = the probe only opens a TCP connection (MariaDB logs each one as an aborted connection).
    /// </summary>
    public string? HealthCheckUser { get; init; }
}

/// <summary>
/// <c>agent.databases[].pool</c>: the agent keeps idle PostgreSQL server connections after a client
/// ends its session cleanly and hands them, reset with <c>DISCARD ALL</c>, to the next session with the
/// same db user, db name and start-up parameters.
/// </summary>
public sealed record DatabasePoolConfig
{
    /// <summary>Idle server connections kept per (db user, db name, start-up parameters).</summary>
    public int MaxIdle { get; init; } = 8;

    /// <summary>An idle connection unused this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A connection older than this is closed instead of being reused.</summary>
    public TimeSpan MaxLifetime { get; init; } = TimeSpan.FromHours(1);
}
