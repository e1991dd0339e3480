using System.Collections.Concurrent;
using Ferry.Config;
using Ferry.Contracts;
using Ferry.Hosting;

namespace Ferry.Agent.Hosting;

/// <summary>
/// The agent role, assembled the same way wherever it runs (<c>ferry-agent</c>, <c>ferryd</c> with an agent
/// section, <c>ferryd --all-in-one</c>): the configured databases, the shared context, the health, version
/// and dynamic-label loops, and a tunnel to every proxy that heartbeats the inventory. What differs between
/// hosts (how the auth service is reached, where the certificate comes from, where audit events go) is passed in.
/// </summary>
public sealed class AgentRole : IAsyncDisposable
{
    private AgentTunnelMesh? _mesh;

    private readonly Func<string, string?> _sessionLock;

    private AgentRole(AgentContext context, Func<string, string?>? sessionLock)
    {
        Context = context;
        _sessionLock = sessionLock ?? (static _ => null);
    }

    public AgentContext Context { get; }

    /// <summary>Every tunnel client: to the configured proxies, then to those the auth service listed (agent mesh).</summary>
    public IReadOnlyList<AgentTunnelClient> Tunnels => _mesh?.Tunnels ?? [];

    /// <summary>Builds the role and starts its loops on <paramref name="loops"/>.</summary>
    public static AgentRole Start(AgentRoleOptions options, AgentRoleServices services, BackgroundLoops loops)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(loops);
        var proxies = options.Proxies.Select(p => Units.TryParseHostPort(p, out var host, out var port)
            ? (Host: host, Port: port)
            : throw new ConfigException($"agent.proxies: expected host:port, got '{p}'")).ToList();

        var databases = new ConcurrentDictionary<string, AgentDatabase>(
            options.Databases.Select(d => KeyValuePair.Create(d.Name, AgentDatabases.FromConfig(d, services.DbClientCaPem))), StringComparer.Ordinal);
        var tracker = new LiveSessionTracker(services.Audit);
        var egress = services.ExchangeEgress is { } exchange ? loops.Own(new EgressBudgetClient(exchange, options.Log, options.Time)) : null;
        var ctx = new AgentContext
        {
            AgentId = options.HostId,
            ClusterName = services.ClusterName,
            Authority = services.Authority,
            Audit = tracker,
            Egress = egress ?? (IEgressBudget)UnlimitedEgressBudget.Instance,
            Databases = databases,
            MaxInspectedMessage = options.MaxInspectedMessage,
            MaxStatementBytes = options.MaxStatementBytes,
            Time = options.Time,
        };
        var role = new AgentRole(ctx, services.SessionLock);
        if (egress is not null)
        {
            loops.Start(egress.RunAsync, "egress budgets");
        }

        if (services.ReportLiveSessions is { } reportSessions)
        {
            loops.Start(new LiveSessionReporter(tracker, ctx.Sessions, reportSessions, options.Log).RunAsync, "live sessions report");
        }

        var version = typeof(AgentRole).Assembly.GetName().Version?.ToString() ?? "";
        AgentHeartbeat Heartbeat() => new()
        {
            AgentId = options.HostId,
            Version = version,
            Databases = [.. databases.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => AgentDatabases.Describe(d, ctx))],
        };

        var mesh = role._mesh = new AgentTunnelMesh(proxies, (host, port, required) =>
            new AgentTunnelClient(ctx, host, port, services.Certificate, services.HostVerifier) { Heartbeat = Heartbeat, RequiredForReadiness = required }, options.Log);
        var registrar = new DatabaseRegistrar(() => Heartbeat().Databases, async (report, t) =>
        {
            var response = await services.RegisterDatabases(report, t).ConfigureAwait(false);
            if (response.Proxies is { } listed)
            {
                mesh.Update(listed);
            }

            return response;
        }, options.Log);
        loops.Start(registrar.RunAsync);
        loops.Start(t => ctx.Health.RunAsync(databases, ctx.Authority, (name, v, c) =>
        {
            ctx.MySql.NoteServerVersion(name, v);
            ctx.MySql.NoteCollation(name, c);
        }, t));
        loops.Start(t => MySql.MySqlVersionProbe.RunAsync(ctx, t));
        loops.Start(new DynamicLabels(databases, options.Databases, options.Log).RunAsync);
        loops.Own(mesh);
        loops.Start(async t =>
        {
            // Register the databases first (bounded wait: an unreachable auth service must not keep the tunnels down).
            await Task.WhenAny(registrar.FirstAttempt, Task.Delay(TimeSpan.FromSeconds(10), t)).ConfigureAwait(false);
            await mesh.RunAsync((client, ct) => client.RunAsync(ct), t).ConfigureAwait(false);
        }, "agent tunnels");
        return role;
    }

    /// <summary>Closes the live sessions a lock now covers, including those named by a session lock (call on every lock change).</summary>
    public void EnforceLocks() => Context.Sessions.EnforceLocks(Context.Authority, _sessionLock);

    /// <summary>Closes the pooled server connections (after the loops have stopped).</summary>
    public ValueTask DisposeAsync() => Context.ClosePoolsAsync();
}
