using System.Net;
using Ferry.Agent.Hosting;
using Ferry.Audit;
using Ferry.Auth.Server;
using Ferry.Config;
using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Proxy;
using Ferry.Proxy.Hosting;

namespace Ferry.Auth.Hosting;

/// <summary>
/// <c>ferryd</c> with an auth section (or <c>--all-in-one</c>): the auth service, a proxy and (when configured)
/// an agent in one process, assembled from the same <see cref="ProxyRole"/> and <see cref="AgentRole"/> as the
/// standalone hosts. The roles share one lock follower and one audit spool; the agent still reaches the proxy
/// through a real TLS tunnel, so the data path is the production one.
/// </summary>
public sealed class AllInOneHost : IAsyncDisposable
{
    private readonly BackgroundLoops _loops = new();
    private AuthServer? _auth;
    private ProxyRole? _proxy;

    private AllInOneHost()
    {
    }

    public IPEndPoint? ProxyEndPoint => _proxy?.EndPoint;

    public IPEndPoint? AuthEndPoint => _auth?.Endpoint;

    public static async Task<AllInOneHost> StartAsync(FerryConfig config, Action<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        var host = new AllInOneHost();
        try
        {
            // The proxy runs here unless the file says proxy: { enabled: false } (an auth-only server); without a proxy
            // section its defaults apply.
            await host.StartCoreAsync(config with { Proxy = config.ProxyEnabled ? config.Proxy ?? new ProxySection() : null }, log, ct).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(FerryConfig config, Action<string> log, CancellationToken ct)
    {
        var auth = config.Auth ?? new AuthSection();
        if (config.Proxy is null && config.Agent is { Proxies.Count: 0 })
        {
            throw new ConfigException("agent.proxies: an agent beside an auth-only server (proxy: { enabled: false }) needs the proxies to dial");
        }
        Ferry.Text.OwnerOnlyFiles.CreateDirectory(config.DataDir);
        _ = Units.TryParseHostPort(auth.ListenAddr, out _, out var authPort);
        var serverId = HostIds.Auth(auth.ServerId, authPort);
        var server = _auth = _loops.Own(await AuthServer.StartAsync(new AuthServerOptions
        {
            DataDir = config.DataDir,
            ListenAddress = auth.ListenAddr,
            ClusterName = config.ClusterName,
            PublicAddrs = [.. auth.PublicAddrs, .. (config.Proxy?.PublicAddrs ?? []).Select(ProxyRoleOptions.HostOf)],
            ServerId = serverId,
            AuditRetention = auth.AuditRetention,
            DefaultSessionTtl = auth.DefaultSessionTtl,
            SsoConnectors = auth.Sso,
            SessionMfaCertificateTtl = auth.SessionMfaCertificateTtl,
            ApiIdleTimeout = auth.ApiIdleTimeout,
            MaxApiConnections = auth.MaxApiConnections,
            MaxApiConnectionsPerSource = auth.MaxApiConnectionsPerSource,
            HealthCheckUsers = auth.HealthCheckUsers,
            AccessRequests = auth.AccessRequests,
            Backend = auth.Backend,
            AuditStore = auth.AuditStore,
            Webhook = config.Webhook,
            Web = WebOptionsFrom(config.Web),
        }, ct).ConfigureAwait(false));
        var service = server.Service;
        AuthLog.ServerStarted(Ferry.Diagnostics.FerryLogging.Factory.CreateLogger("Ferry.Auth"), serverId, server.Endpoint.ToString(), config.Proxy is not null);
        Ferry.Diagnostics.FerryMetrics.AuthServerInfo(serverId);

        var audit = _loops.Own(SpooledAudit.Start(Path.Combine(config.DataDir, "spool"), new AuditStoreUploader(server.AuditStore), _loops));
        var locks = new LockFollower(service.WatchLocksAsync, log);
        var proxy = config.Proxy is null ? null : await StartProxyAsync(config, server, audit.Sink, locks, ct).ConfigureAwait(false);

        if (config.Agent is not null)
        {
            var agentOptions = AgentRoleOptions.FromConfig(config, config.DataDir, log);
            if (agentOptions.Proxies.Count == 0)
            {
                agentOptions = agentOptions with { Proxies = [$"127.0.0.1:{proxy!.EndPoint.Port}"] };
            }
            // Registered like a joined agent, so its databases bind to it and `hosts ls` shows it.
            await service.RegisterLocalHostAsync(agentOptions.HostId, HostRole.Agent, ct).ConfigureAwait(false);
            var authority = _loops.Own(new InProcessAgentAuthority(service, locks, agentOptions.HostId));
            var agentHostId = agentOptions.HostId;
            var agentCert = new InProcessHostCertificate(service.Issuer, HostRole.Agent, agentOptions.HostId, ["localhost"], [IPAddress.Loopback]);
            var agent = _loops.Own(AgentRole.Start(agentOptions, new AgentRoleServices
            {
                ClusterName = config.ClusterName,
                Authority = authority,
                Audit = audit.Sink,
                DbClientCaPem = service.Authority.ExportTrustedRootsPem(CaKind.DbClient),
                Certificate = agentCert.Current,
                HostVerifier = service.HostVerifier,
                RegisterDatabases = (report, t) => service.RegisterAgentDatabasesAsync(agentHostId, report, "in-process", t),
                ReportLiveSessions = (report, _) =>
                {
                    service.ReplaceLiveSessions(agentHostId, report.Sessions, TimeSpan.FromSeconds(report.TtlSeconds));
                    return Task.CompletedTask;
                },
                ExchangeEgress = (report, t) => service.AddEgressAsync(agentHostId, report, t),
                SessionLock = locks.FindSessionLock,
            }, _loops));
            locks.Changed += agent.EnforceLocks;
        }
        _loops.Start(locks.RunAsync);
    }

    /// <summary>The proxy beside the auth service (none on an auth-only server): registered, certified by the service, reporting its inventory.</summary>
    private async Task<ProxyRole> StartProxyAsync(FerryConfig config, AuthServer server, IAuditSink audit, LockFollower locks, CancellationToken ct)
    {
        var service = server.Service;
        var proxyOptions = ProxyRoleOptions.FromConfig(config);
        await service.RegisterLocalHostAsync(proxyOptions.HostId, HostRole.Proxy, ct).ConfigureAwait(false);
        var proxyCert = new InProcessHostCertificate(service.Issuer, HostRole.Proxy, proxyOptions.HostId, [.. proxyOptions.DnsNames], [.. proxyOptions.IpAddresses]);
        var proxy = _proxy = _loops.Own(await ProxyRole.StartAsync(proxyOptions, new ProxyRoleServices
        {
            ClusterName = config.ClusterName,
            Certificate = proxyCert.Current,
            UserVerifier = service.UserVerifier,
            HostVerifier = service.HostVerifier,
            Audit = audit,
            Locks = locks,
            AuthApiEndPoint = server.Endpoint,
        }, _loops).ConfigureAwait(false));
        server.Web?.UseLocalProxy(proxy.EndPoint);
        // The in-process proxy reports every inventory change straight to the auth service (no TTL needed).
        void ReportInventory() => service.Inventory.Report(proxyOptions.HostId, InventoryEntries.From(proxy.Context.Agents), TimeSpan.FromDays(3650));
        proxy.Context.Agents.Changed += ReportInventory;
        ReportInventory();
        return proxy;
    }

    /// <summary>The web UI's options from <c>web:</c> (served unless <c>web.enabled: false</c>).</summary>
    internal static Ferry.Web.WebOptions? WebOptionsFrom(WebSection? web) =>
        web is { Enabled: false } ? null : new Ferry.Web.WebOptions
        {
            IdleTimeout = web?.IdleTimeout ?? TimeSpan.FromMinutes(15),
            SessionTtl = web?.SessionTtl ?? TimeSpan.FromHours(8),
            ProxyAddr = web?.ProxyAddr,
        };

    /// <summary>Stops the loops, then closes the agent's pools, the proxy's listeners, the audit sink and the auth service.</summary>
    public ValueTask DisposeAsync() => _loops.DisposeAsync();
}
