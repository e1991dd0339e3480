using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Ferry.Agent;
using Ferry.Agent.MySql;
using Ferry.Audit;
using Ferry.Auth.Server;
using Ferry.Config;
using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Proxy;
using Ferry.Proxy.MySql;
using Ferry.Contracts;

namespace Ferry.Daemon;

/// <summary>
/// <c>ferryd --all-in-one</c>: the auth service, a proxy and an agent in one process. The agent
/// still reaches the proxy through a real TLS tunnel, so the data path is the production one.
/// </summary>
internal sealed class AllInOneHost : IAsyncDisposable
{
    private readonly BackgroundLoops _loops = new();
    private AuthServer? _auth;
    private ProxyServer? _proxy;
    private MySqlProxyServer? _mysqlProxy;
    private SpoolingAuditSink? _sink;
    private AgentContext? _agentCtx;
    private InProcessAgentAuthority? _authority;

    public IPEndPoint? ProxyEndPoint => _proxy?.EndPoint;

    public IPEndPoint? AuthEndPoint => _auth?.Endpoint;

    public static async Task<AllInOneHost> StartAsync(FerryConfig config, CancellationToken ct)
    {
        var host = new AllInOneHost();
        try
        {
            await host.StartCoreAsync(config, ct);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(FerryConfig config, CancellationToken ct)
    {
        var auth = config.Auth ?? new AuthSection();
        var proxy = config.Proxy ?? new ProxySection();
        Directory.CreateDirectory(config.DataDir);
        _auth = await AuthServer.StartAsync(new AuthServerOptions
        {
            DataDir = config.DataDir,
            ListenAddress = auth.ListenAddr,
            ClusterName = config.ClusterName,
            PublicAddrs = [.. auth.PublicAddrs, .. proxy.PublicAddrs.Select(HostOf)],
            ServerId = "auth-" + Environment.MachineName,
            AuditRetention = auth.AuditRetention,
            DefaultSessionTtl = auth.DefaultSessionTtl,
        }, ct);
        var service = _auth.Service;

        var spool = AuditSpool.Open(Path.Combine(config.DataDir, "spool"));
        _sink = new SpoolingAuditSink(spool);
        var shipper = new AuditShipper(spool, new AuditStoreUploader(_auth.AuditStore));
        _loops.Start(shipper.RunAsync);

        var proxyId = "proxy-" + Environment.MachineName;
        _authority = new InProcessAgentAuthority(service, "agent-" + Environment.MachineName);
        var proxyCert = new RenewingHostCertificate(service.Issuer, HostRole.Proxy, proxyId, proxy.PublicAddrs.Select(HostOf).Append("localhost").Distinct().ToList());
        var proxyCtx = new ProxyContext
        {
            ProxyId = proxyId,
            ClusterName = config.ClusterName,
            ServerCertificate = TlsCertificates.CreateServerContext(proxyCert.Current()),
            UserVerifier = service.UserVerifier,
            HostVerifier = service.HostVerifier,
            Audit = _sink,
            FindLock = _authority.FindLock,
            AuthApiEndPoint = _auth.Endpoint,
            HandshakeTimeout = proxy.HandshakeTimeout,
        };
        _proxy = new ProxyServer(proxyCtx, ParseEndPoint(proxy.ListenAddr));
        // The proxy's certificate lives 24 h: pick up the re-issued one (RenewingHostCertificate renews at two thirds).
        _loops.Start(async t =>
        {
            var current = proxyCert.Current();
            using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
            while (await timer.WaitForNextTickAsync(t))
            {
                if (!ReferenceEquals(current, proxyCert.Current()))
                {
                    current = proxyCert.Current();
                    proxyCtx.ServerCertificate = TlsCertificates.CreateServerContext(current);
                }
            }
        });
        // The in-process proxy reports every inventory change straight to the auth service (no TTL needed).
        proxyCtx.Agents.Changed += () => service.Inventory.Report(proxyId, InventoryEntries.From(proxyCtx.Agents), TimeSpan.FromDays(3650));
        _proxy.Start();
        _mysqlProxy = new MySqlProxyServer(proxyCtx, ParseEndPoint(proxy.MySqlListenAddr));
        _mysqlProxy.Start();

        var agent = config.Agent;
        if (agent is not null)
        {
            var agentId = agent.HostId ?? "agent-" + Environment.MachineName;
            var dbClientCa = service.Authority.ExportTrustedRootsPem(CaKind.DbClient);
            var databases = new System.Collections.Concurrent.ConcurrentDictionary<string, AgentDatabase>(
                agent.Databases.Select(d => KeyValuePair.Create(d.Name, AgentDatabases.FromConfig(d, dbClientCa))), StringComparer.Ordinal);
            var agentCtx = new AgentContext
            {
                AgentId = agentId,
                ClusterName = config.ClusterName,
                Authority = _authority,
                Audit = _sink,
                Databases = databases,
                MaxInspectedMessage = (int)Math.Min(proxy.MaxMessageBytes, int.MaxValue),
            };
            _agentCtx = agentCtx;
            _authority.LocksChanged += () => agentCtx.Sessions.EnforceLocks(_authority);
            var agentCert = new RenewingHostCertificate(service.Issuer, HostRole.Agent, agentId, ["localhost"]);
            var version = typeof(AllInOneHost).Assembly.GetName().Version?.ToString() ?? "";
            AgentHeartbeat Heartbeat() => new()
            {
                AgentId = agentId,
                Version = version,
                Databases = [.. databases.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => AgentDatabases.Describe(d, agentCtx))],
            };
            _loops.Start(t => MySqlVersionProbe.RunAsync(agentCtx, t));
            _loops.Start(t => agentCtx.Health.RunAsync(databases, t));
            _loops.Start(new DynamicLabels(databases, agent.Databases, static m => Console.Error.WriteLine(m)).RunAsync);
            var proxies = agent.Proxies.Count > 0 ? agent.Proxies : [$"127.0.0.1:{_proxy.EndPoint.Port}"];
            foreach (var p in proxies)
            {
                Units.TryParseHostPort(p, out var h, out var port);
                var client = new AgentTunnelClient(agentCtx, h, port, agentCert.Current, service.HostVerifier) { Heartbeat = Heartbeat };
                _loops.Start(client.RunAsync);
            }
        }
        _loops.Start(_authority.WatchLocksAsync);
    }

    private static string HostOf(string hostPort) => Units.TryParseHostPort(hostPort, out var h, out _) ? h : hostPort;

    internal static IPEndPoint ParseEndPoint(string hostPort)
    {
        if (!Units.TryParseHostPort(hostPort, out var host, out var port))
        {
            throw new ConfigException($"expected host:port, got '{hostPort}'");
        }
        if (IPAddress.TryParse(host, out var ip))
        {
            return new IPEndPoint(ip, port);
        }
        var resolved = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new ConfigException($"cannot resolve '{host}'");
        return new IPEndPoint(resolved, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _loops.StopAsync(TimeSpan.FromSeconds(10));
        _loops.Dispose();
        if (_agentCtx is not null)
        {
            await _agentCtx.ClosePoolsAsync();
        }
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
        if (_mysqlProxy is not null)
        {
            await _mysqlProxy.DisposeAsync();
        }
        if (_sink is not null)
        {
            await _sink.DisposeAsync();
        }
        if (_auth is not null)
        {
            await _auth.DisposeAsync();
        }
        _authority?.Dispose();
    }
}

/// <summary>A host certificate for an in-process role, re-issued when two thirds of its life has passed.</summary>
internal sealed class RenewingHostCertificate(CertificateIssuer issuer, HostRole role, string hostId, IReadOnlyList<string> dnsNames)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(24);
    private readonly Lock _lock = new();
    private X509Certificate2? _current;
    private DateTimeOffset _renewAt;

    public X509Certificate2 Current()
    {
        lock (_lock)
        {
            if (_current is null || DateTimeOffset.UtcNow >= _renewAt)
            {
                using var key = KeyPair.Generate();
                var names = dnsNames.Where(n => !IPAddress.TryParse(n, out _)).ToList();
                var ips = dnsNames.Select(n => IPAddress.TryParse(n, out var ip) ? ip : null).OfType<IPAddress>().Append(IPAddress.Loopback).Distinct().ToList();
                var issued = issuer.IssueHostCertificate(ClientPublicKey.FromPem(key.ExportPublicKeyPem()), role, hostId, names, ips, Ttl);
                _current = TlsCertificates.FromPem(issued.ToPem(), key.ExportPrivateKeyPem());
                _renewAt = DateTimeOffset.UtcNow + (Ttl * 2 / 3);
            }
            return _current;
        }
    }
}
