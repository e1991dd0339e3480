using Ferry.Audit;
using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ferry.Agent;

/// <summary>Everything an agent session needs, shared by all sessions of one agent.</summary>
public sealed class AgentContext
{
    public required string AgentId { get; init; }

    public required string ClusterName { get; init; }

    public required IAgentAuthority Authority { get; init; }

    /// <summary>Where the agent's audit events go; every event passes <see cref="SessionMetricsSink"/> first, which counts sessions and queries.</summary>
    public required IAuditSink Audit { get; init => field = new SessionMetricsSink(value); }

    /// <summary>Where the agent's log events go; the process's factory unless a host sets another.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = FerryLogging.Factory;

    internal ILogger Log => _log ??= LoggerFactory.CreateLogger("Ferry.Agent");

    private ILogger? _log;

    /// <summary>Makes this agent's audit events (cluster and agent id set).</summary>
    public AuditEventFactory AuditEvents => _auditEvents ??= new AuditEventFactory(AuditOrigin.Agent(ClusterName, AgentId), Time);

    private AuditEventFactory? _auditEvents;

    public required IReadOnlyDictionary<string, AgentDatabase> Databases { get; init; }

    public CancelRegistry Cancels => LazyInitializer.EnsureInitialized(ref _cancels, () => new CancelRegistry(AgentId));

    private CancelRegistry? _cancels;

    public LiveSessions Sessions { get; } = new();

    /// <summary>Sessions per user and database, held against the roles' <c>max_sessions</c>.</summary>
    public SessionLimiter SessionLimits { get; } = new();

    public DatabaseHealth Health { get; } = new();

    /// <summary>Egress budgets shared across sessions, agents and proxies (roles' <c>egress</c>); none until a host sets one.</summary>
    public IEgressBudget Egress { get; init; } = UnlimitedEgressBudget.Instance;

    /// <summary>Connection-id map and server versions of the MySQL databases.</summary>
    public MySql.MySqlAgentState MySql { get; } = new();

    /// <summary>Largest message inspected for audit (Query, Parse, Bind…); larger ones are relayed and audited as truncated.</summary>
    public int MaxInspectedMessage { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// How many bytes of a statement's text (and of each parameter) an audit event keeps (<c>agent.max_statement_bytes</c>).
    /// Longer ones are cut and carry their true length and SHA-256; a Query or Parse longer than this streams through
    /// the relay instead of being held whole.
    /// </summary>
    public int MaxStatementBytes { get; init; } = Ferry.Config.AgentSection.DefaultMaxStatementBytes;

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Postgres.PostgresBackendPool> _postgresPools = new(StringComparer.Ordinal);

    /// <summary>The server-connection pool of a PostgreSQL database with <c>pool</c> configured; null when it has none.</summary>
    internal Postgres.PostgresBackendPool? PostgresPool(AgentDatabase db) =>
        db.Pool is null ? null : _postgresPools.GetOrAdd(db.Name, static (_, state) => new Postgres.PostgresBackendPool(state.Pool, state.Time), (Pool: db.Pool, Time));

    /// <summary>Closes the pooled server connections (agent shutdown).</summary>
    public async ValueTask ClosePoolsAsync()
    {
        foreach (var pool in _postgresPools.Values)
        {
            await pool.DisposeAsync();
        }
    }
}
