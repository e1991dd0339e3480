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
    private readonly List<AgentTunnelClient> _tunnels = [];

    private AgentRole(AgentContext context) => Context = context;

    public AgentContext Context { get; }

    public IReadOnlyList<AgentTunnelClient> Tunnels => _tunnels;

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
        var ctx = new AgentContext
        {
            AgentId = options.HostId,
            ClusterName = services.ClusterName,
            Authority = services.Authority,
            Audit = services.Audit,
            Databases = databases,
            MaxInspectedMessage = options.MaxInspectedMessage,
            MaxStatementBytes = options.MaxStatementBytes,
            Time = options.Time,
        };
        var role = new AgentRole(ctx);
        var version = typeof(AgentRole).Assembly.GetName().Version?.ToString() ?? "";
        AgentHeartbeat Heartbeat() => new()
        {
            AgentId = options.HostId,
            Version = version,
            Databases = [.. databases.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => AgentDatabases.Describe(d, ctx))],
        };

        var registrar = new DatabaseRegistrar(() => Heartbeat().Databases, services.RegisterDatabases, options.Log);
        loops.Start(registrar.RunAsync);
        loops.Start(t => ctx.Health.RunAsync(databases, ctx.Authority, (name, v, c) =>
        {
            ctx.MySql.NoteServerVersion(name, v);
            ctx.MySql.NoteCollation(name, c);
        }, t));
        loops.Start(t => MySql.MySqlVersionProbe.RunAsync(ctx, t));
        loops.Start(new DynamicLabels(databases, options.Databases, options.Log).RunAsync);
        foreach (var (host, port) in proxies)
        {
            var client = new AgentTunnelClient(ctx, host, port, services.Certificate, services.HostVerifier) { Heartbeat = Heartbeat };
            role._tunnels.Add(client);
            loops.Start(async t =>
            {
                // Register the databases first (bounded wait: an unreachable auth service must not keep the tunnels down).
                await Task.WhenAny(registrar.FirstAttempt, Task.Delay(TimeSpan.FromSeconds(10), t)).ConfigureAwait(false);
                await client.RunAsync(t).ConfigureAwait(false);
            }, "agent tunnel");
        }
        return role;
    }

    /// <summary>Closes the live sessions a lock now covers (call on every lock change).</summary>
    public void EnforceLocks() => Context.Sessions.EnforceLocks(Context.Authority);

    /// <summary>Closes the pooled server connections (after the loops have stopped).</summary>
    public ValueTask DisposeAsync() => Context.ClosePoolsAsync();
}
