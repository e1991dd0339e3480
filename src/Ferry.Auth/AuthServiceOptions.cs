using Ferry.Audit;
using Ferry.Auth.Users;

namespace Ferry.Auth;

/// <summary>How to open the auth state in a data directory.</summary>
public sealed class AuthServiceOptions
{
    /// <summary>Data directory: <c>ferry.db</c> (SQLite backend), <c>ca/</c> (CA keys), <c>audit/</c> (store), <c>spool/</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>Cluster name written into certificates.</summary>
    public string ClusterName { get; init; } = "ferry";

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public LoginThrottleOptions Throttle { get; init; } = new();

    /// <summary>Where this process's audit events go. Null: a spool under <c>spool/</c> (see <see cref="AuthService"/>).</summary>
    public IAuditSink? AuditSink { get; init; }

    /// <summary>Host certificate lifetime for proxies and agents (renewed before expiry).</summary>
    public TimeSpan HostCertificateTtl { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Db-client certificate lifetime (the agent caches it for most of it).</summary>
    public TimeSpan DbClientCertificateTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Certificate lifetime when a login asks for none (capped by the roles' <c>max_session_ttl</c>); null: the cap itself.</summary>
    public TimeSpan? DefaultSessionTtl { get; init; }

    /// <summary>
    /// Lifetime of a session-MFA certificate, the only kind marked MFA-verified: how long it can open connections
    /// (sessions opened keep running to its session limit). At most 1 minute; shorter for tests.
    /// </summary>
    public TimeSpan SessionMfaCertificateTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a database name stays bound to the agent that registered it after that agent stops registering it;
    /// then another agent may claim the name. Removing the host (<c>hosts rm</c>) releases its names at once.
    /// </summary>
    public TimeSpan DatabaseBindingTakeover { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary><c>auth.sso</c> of ferry.yaml; connectors stored with <c>ferryd admin sso add</c> are added (a stored one with the same name is ignored).</summary>
    public IReadOnlyList<Ferry.Config.SsoConnectorConfig> SsoConnectors { get; init; } = [];

    /// <summary>
    /// Db users an agent may get a db-client certificate for without a user's session, for its health probe
    /// (<c>auth.health_check_users</c>); empty = probe certificates are refused.
    /// </summary>
    public IReadOnlyList<string> HealthCheckUsers { get; init; } = [];

    /// <summary>Lifetime of a health-probe db-client certificate.</summary>
    public TimeSpan HealthCheckCertificateTtl { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Identifies this process in audit events (<c>server_id</c>).</summary>
    public string ServerId { get; init; } = Environment.MachineName;

    /// <summary><c>auth.access_requests</c>: pending_ttl, max_pending_per_user, sweep_interval.</summary>
    public Ferry.Config.AccessRequestsConfig AccessRequests { get; init; } = new();

    /// <summary>Where the state lives: <c>ferry.db</c> in <see cref="DataDir"/> (default) or a shared PostgreSQL database.</summary>
    public Ferry.Config.BackendConfig Backend { get; init; } = new();

    /// <summary><c>notifications.webhook</c>; null sends no notifications.</summary>
    public Ferry.Config.WebhookConfig? Webhook { get; init; }

    /// <summary>Whether to run the background sweep that expires access requests (off for short-lived admin commands).</summary>
    public bool SweepAccessRequests { get; init; } = true;

    /// <summary>Tests: runs once after the shared CAs' first reread, before their changes are followed (a change made here must still be seen).</summary>
    internal Func<CancellationToken, Task>? AfterSharedCaSnapshot { get; init; }
}
