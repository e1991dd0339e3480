using Ferry.Auth.Users;

namespace Ferry.Auth.Server;

/// <summary>How to start the auth HTTPS API.</summary>
public sealed class AuthServerOptions
{
    /// <summary>The auth data directory (see <see cref="AuthServiceOptions.DataDir"/>).</summary>
    public required string DataDir { get; init; }

    /// <summary><c>host:port</c> to listen on, e.g. <c>0.0.0.0:3025</c>, <c>[::]:3025</c>, <c>127.0.0.1:0</c> (0 = any free port).</summary>
    public string ListenAddress { get; init; } = "127.0.0.1:3025";

    public string ClusterName { get; init; } = "ferry";

    /// <summary>DNS names and IPs clients use to reach this server; they go into its certificate's SAN (with localhost and 127.0.0.1).</summary>
    public IReadOnlyList<string> PublicAddrs { get; init; } = [];

    /// <summary>Host id in the server's own certificate and in audit events.</summary>
    public string ServerId { get; init; } = Ferry.Hosting.HostIds.Auth();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public LoginThrottleOptions Throttle { get; init; } = new();

    /// <summary>Audit segments whose newest event is older than this are removed (sealed segments only; null keeps everything).</summary>
    public TimeSpan? AuditRetention { get; init; }

    /// <summary>Certificate lifetime when a login asks for none (still capped by the roles' <c>max_session_ttl</c>).</summary>
    public TimeSpan? DefaultSessionTtl { get; init; }

    /// <summary>Single sign-on connectors from ferry.yaml (<c>auth.sso</c>).</summary>
    public IReadOnlyList<Ferry.Config.SsoConnectorConfig> SsoConnectors { get; init; } = [];

    /// <summary>Lifetime of a session-MFA certificate (at most 1 minute).</summary>
    public TimeSpan SessionMfaCertificateTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary><c>auth.health_check_users</c> (see <see cref="AuthServiceOptions.HealthCheckUsers"/>).</summary>
    public IReadOnlyList<string> HealthCheckUsers { get; init; } = [];

    /// <summary><c>auth.access_requests</c> (see <see cref="AuthServiceOptions.AccessRequests"/>).</summary>
    public Ferry.Config.AccessRequestsConfig AccessRequests { get; init; } = new();

    /// <summary><c>auth.backend</c> (see <see cref="AuthServiceOptions.Backend"/>).</summary>
    public Ferry.Config.BackendConfig Backend { get; init; } = new();

    /// <summary><c>auth.audit_store</c>: segments in <c>data_dir/audit</c> or the PostgreSQL backend's <c>ferry_audit</c> table.</summary>
    public Ferry.Config.AuditStoreKind AuditStore { get; init; } = Ferry.Config.AuditStoreKind.Segments;

    /// <summary><c>notifications.webhook</c> (see <see cref="AuthServiceOptions.Webhook"/>).</summary>
    public Ferry.Config.WebhookConfig? Webhook { get; init; }

    /// <summary>How long an idle keep-alive API connection stays open (Kestrel's keep-alive timeout).</summary>
    public TimeSpan ApiIdleTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Open API connections in total; more wait in the listen backlog or are closed.</summary>
    public int MaxApiConnections { get; init; } = 1024;

    /// <summary>Open API connections per client address (the real client behind a proxy); more are closed at once.</summary>
    public int MaxApiConnectionsPerSource { get; init; } = 64;

    /// <summary>Largest request body of the audit upload endpoint; every other endpoint takes at most <see cref="MaxRequestBodyBytes"/>.</summary>
    public long MaxAuditUploadBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest request body of every endpoint but the audit upload.</summary>
    public long MaxRequestBodyBytes { get; init; } = 64 * 1024;

    /// <summary>The window of the aggregated audit of refused API connections (one event at once per reason and source, then one summary with the count).</summary>
    public TimeSpan ConnectionRefusalAuditWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a new connection may take to send its first bytes (or a proxy its whole PROXY header).</summary>
    public TimeSpan ProxyHeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How far a proxy's PROXY header timestamp may be from this server's clock.</summary>
    public TimeSpan ProxyHeaderMaxSkew { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The web UI (<c>web:</c> in ferry.yaml); null = not served.</summary>
    public Ferry.Web.WebOptions? Web { get; init; }

    /// <summary>Interval of <c>ping</c> lines on <c>/v1/locks/watch</c>.</summary>
    public TimeSpan WatchPingInterval { get; init; } = TimeSpan.FromSeconds(15);
}
