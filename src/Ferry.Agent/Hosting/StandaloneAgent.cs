using Ferry.Hosting;

namespace Ferry.Agent.Hosting;

/// <summary>
/// A standalone agent (<c>ferry-agent</c>, or <c>ferryd</c> with an agent section): joins the cluster through
/// a proxy with a token (or reuses its stored host certificate), keeps that certificate renewed, follows
/// locks, spools audit events and ships them to the auth service, and runs the <see cref="AgentRole"/>.
/// </summary>
public sealed class StandaloneAgent : IAsyncDisposable
{
    private readonly BackgroundLoops _loops = new();
    private AgentRole? _role;

    private StandaloneAgent()
    {
    }

    public IReadOnlyList<AgentTunnelClient> Tunnels => _role?.Tunnels ?? [];

    public static async Task<StandaloneAgent> StartAsync(AgentRoleOptions options, CancellationToken ct)
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

    private async Task StartCoreAsync(AgentRoleOptions o, CancellationToken ct)
    {
        if (o.Proxies.Count == 0)
        {
            throw new Ferry.Config.ConfigException("agent.proxies is empty: list the host:port of at least one proxy");
        }
        var credentials = await HostCredentials.LoadOrJoinAsync(new HostJoinOptions
        {
            Directory = Path.Combine(o.DataDir, "host"),
            AuthAddress = o.Proxies[0],
            AuthAddresses = o.Proxies, // the API is passed through by every proxy: fail over between them
            Role = "agent",
            HostId = o.HostId,
            Token = o.JoinToken,
            CaPin = o.CaPin,
            DnsNames = [o.HostId],
        }, o.Log, ct).ConfigureAwait(false);
        var api = _loops.Own(credentials.CreateApiClient(o.Log));
        var locks = new LockFollower(api, o.Log);
        var authority = _loops.Own(new RemoteAgentAuthority(credentials, api, locks, o.Time));
        var audit = _loops.Own(SpooledAudit.Start(Path.Combine(o.DataDir, "spool"), new HttpAuditUploader(api), _loops));
        var role = _role = _loops.Own(AgentRole.Start(o, new AgentRoleServices
        {
            ClusterName = credentials.ClusterName,
            Authority = authority,
            Audit = audit.Sink,
            DbClientCaPem = credentials.DbClientCaPem,
            Certificate = credentials.Current,
            HostVerifier = credentials.HostVerifier,
            RegisterDatabases = api.RegisterAgentDatabasesAsync,
            ReportLiveSessions = api.ReportLiveSessionsAsync,
            ExchangeEgress = api.ReportEgressAsync,
            SessionLock = locks.FindSessionLock,
        }, _loops));
        locks.Changed += role.EnforceLocks;
        _loops.Start(locks.RunAsync);
        _loops.Start(t => credentials.RenewLoopAsync(api, o.Log, o.Time, t));
    }

    /// <summary>Stops the loops, then closes the database pools, the audit sink and the API client.</summary>
    public ValueTask DisposeAsync() => _loops.DisposeAsync();
}
