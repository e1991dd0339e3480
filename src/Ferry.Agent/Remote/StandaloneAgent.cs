using System.Collections.Concurrent;
using Ferry.Audit;
using Ferry.Config;
using Ferry.Hosting;
using Ferry.Contracts;

namespace Ferry.Agent.Remote;

/// <summary>
/// <c>ferry-agent</c>: joins the cluster through a proxy with a token (or reuses its stored host
/// certificate), keeps that certificate renewed, follows locks, spools audit events and ships them to
/// the auth service, and keeps a tunnel to every configured proxy, heartbeating its databases.
/// </summary>
public sealed class StandaloneAgent : IAsyncDisposable
{
    private readonly BackgroundLoops _loops = new();
    private readonly List<AgentTunnelClient> _tunnels = [];
    private SpoolingAuditSink? _sink;
    private AgentContext? _ctx;
    private AuthApiClient? _api;
    private RemoteAgentAuthority? _authority;

    private StandaloneAgent()
    {
    }

    public IReadOnlyList<AgentTunnelClient> Tunnels => _tunnels;

    public static async Task<StandaloneAgent> StartAsync(StandaloneAgentOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var agent = new StandaloneAgent();
        try
        {
            await agent.StartCoreAsync(options, ct).ConfigureAwait(false);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(StandaloneAgentOptions o, CancellationToken ct)
    {
        if (o.Proxies.Count == 0)
        {
            throw new ConfigException("agent.proxies is empty: list the host:port of at least one proxy");
        }
        var credentials = await HostCredentials.LoadOrJoinAsync(new HostJoinOptions
        {
            Directory = Path.Combine(o.DataDir, "host"),
            AuthAddress = o.Proxies[0],
            Role = "agent",
            HostId = o.HostId,
            Token = o.JoinToken,
            CaPin = o.CaPin,
            DnsNames = [o.HostId],
        }, o.Log, ct).ConfigureAwait(false);
        _api = credentials.CreateApiClient();
        var locks = new LockFollower(_api, o.Log);
        _authority = new RemoteAgentAuthority(credentials, _api, locks, o.Time);

        var spool = AuditSpool.Open(Path.Combine(o.DataDir, "spool"));
        _sink = new SpoolingAuditSink(spool);
        var shipper = new AuditShipper(spool, new HttpAuditUploader(_api));

        var databases = new ConcurrentDictionary<string, AgentDatabase>(
            o.Databases.Select(d => KeyValuePair.Create(d.Name, AgentDatabases.FromConfig(d, credentials.DbClientCaPem))), StringComparer.Ordinal);
        var ctx = new AgentContext
        {
            AgentId = o.HostId,
            ClusterName = credentials.ClusterName,
            Authority = _authority,
            Audit = _sink,
            Databases = databases,
            MaxInspectedMessage = o.MaxInspectedMessage,
            Time = o.Time,
        };
        _ctx = ctx;
        locks.Changed += () => ctx.Sessions.EnforceLocks(_authority);
        var version = typeof(StandaloneAgent).Assembly.GetName().Version?.ToString() ?? "";
        AgentHeartbeat Heartbeat() => new()
        {
            AgentId = o.HostId,
            Version = version,
            Databases = [.. databases.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => AgentDatabases.Describe(d, ctx))],
        };

        var api = _api;
        _loops.Start(shipper.RunAsync);
        _loops.Start(locks.RunAsync);
        _loops.Start(t => credentials.RenewLoopAsync(api, o.Log, o.Time, t));
        _loops.Start(t => ctx.Health.RunAsync(databases, t));
        _loops.Start(t => MySql.MySqlVersionProbe.RunAsync(ctx, t));
        _loops.Start(new DynamicLabels(databases, o.Databases, o.Log).RunAsync);
        foreach (var p in o.Proxies)
        {
            if (!Units.TryParseHostPort(p, out var host, out var port))
            {
                throw new ConfigException($"agent.proxies: expected host:port, got '{p}'");
            }
            var client = new AgentTunnelClient(ctx, host, port, credentials.Current, credentials.HostVerifier) { Heartbeat = Heartbeat };
            _tunnels.Add(client);
            _loops.Start(client.RunAsync);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _loops.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (_ctx is not null)
        {
            await _ctx.ClosePoolsAsync().ConfigureAwait(false);
        }
        if (_sink is not null)
        {
            await _sink.DisposeAsync().ConfigureAwait(false);
        }
        _authority?.Dispose();
        _api?.Dispose();
        _loops.Dispose();
    }
}
