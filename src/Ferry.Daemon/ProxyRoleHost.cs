using System.Net;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Config;
using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Proxy;

namespace Ferry.Daemon;

/// <summary>
/// <c>ferryd</c> with a proxy section and no auth section: a stateless proxy on its own host. It joins
/// the auth service at <c>proxy.auth_addr</c> with a token (or reuses its stored host certificate),
/// renews it, follows locks, ships its audit events, passes API connections through to the auth
/// service and reports its agents' inventory for <c>ferry db ls</c>.
/// </summary>
internal sealed class ProxyRoleHost : IAsyncDisposable
{
    private static readonly TimeSpan InventoryTtl = TimeSpan.FromSeconds(30);
    private readonly BackgroundLoops _loops = new();
    private ProxyServer? _proxy;
    private Ferry.Proxy.MySql.MySqlProxyServer? _mysqlProxy;
    private SpoolingAuditSink? _sink;
    private AuthApiClient? _api;

    public IPEndPoint? ProxyEndPoint => _proxy?.EndPoint;

    public static async Task<ProxyRoleHost> StartAsync(FerryConfig config, ProxySection proxy, Action<string> log, CancellationToken ct)
    {
        var host = new ProxyRoleHost();
        try
        {
            await host.StartCoreAsync(config, proxy, log, ct);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(FerryConfig config, ProxySection proxy, Action<string> log, CancellationToken ct)
    {
        var names = proxy.PublicAddrs.Select(a => Units.TryParseHostPort(a, out var h, out _) ? h : a).Append("localhost").Distinct(StringComparer.Ordinal).ToList();
        var proxyId = "proxy-" + Environment.MachineName.ToLowerInvariant() + "-" + AllInOneHost.ParseEndPoint(proxy.ListenAddr).Port;
        var credentials = await HostCredentials.LoadOrJoinAsync(new HostJoinOptions
        {
            Directory = Path.Combine(config.DataDir, "proxy-host"),
            AuthAddress = proxy.AuthAddr,
            Role = "proxy",
            HostId = proxyId,
            Token = proxy.JoinToken,
            CaPin = proxy.CaPin,
            DnsNames = [.. names.Where(n => !IPAddress.TryParse(n, out _))],
            Ips = [.. names.Where(n => IPAddress.TryParse(n, out _)).Append("127.0.0.1").Distinct(StringComparer.Ordinal)],
        }, log, ct);
        _api = credentials.CreateApiClient();
        var locks = new LockFollower(_api, log);
        var spool = AuditSpool.Open(Path.Combine(config.DataDir, "proxy-spool"));
        _sink = new SpoolingAuditSink(spool);
        var shipper = new AuditShipper(spool, new HttpAuditUploader(_api));
        Units.TryParseHostPort(proxy.AuthAddr, out var authHost, out var authPort);
        var ctx = new ProxyContext
        {
            ProxyId = proxyId,
            ClusterName = credentials.ClusterName,
            ServerCertificate = TlsCertificates.CreateServerContext(credentials.Current()),
            UserVerifier = credentials.UserVerifier,
            HostVerifier = credentials.HostVerifier,
            Audit = _sink,
            FindLock = (identity, database) => locks.FindLock(identity.User, identity.Roles, database),
            AuthApiEndPoint = IPAddress.TryParse(authHost, out var ip) ? new IPEndPoint(ip, authPort) : new DnsEndPoint(authHost, authPort),
            HandshakeTimeout = proxy.HandshakeTimeout,
        };
        _proxy = new ProxyServer(ctx, AllInOneHost.ParseEndPoint(proxy.ListenAddr));
        _proxy.Start();
        _mysqlProxy = new Ferry.Proxy.MySql.MySqlProxyServer(ctx, AllInOneHost.ParseEndPoint(proxy.MySqlListenAddr));
        _mysqlProxy.Start();

        var inventoryChanged = new SemaphoreSlim(0);
        ctx.Agents.Changed += () => inventoryChanged.Release();
        _loops.Start(shipper.RunAsync);
        _loops.Start(locks.RunAsync);
        _loops.Start(t => RenewAsync(credentials, ctx, log, t));
        _loops.Start(t => ReportInventoryAsync(ctx, inventoryChanged, log, t));
    }

    private async Task RenewAsync(HostCredentials credentials, ProxyContext ctx, Action<string> log, CancellationToken ct)
    {
        var current = credentials.Current();
        var renewal = credentials.RenewLoopAsync(_api!, log, TimeProvider.System, ct);
        while (!ct.IsCancellationRequested && !renewal.IsCompleted)
        {
            await Task.WhenAny(renewal, Task.Delay(TimeSpan.FromSeconds(10), ct));
            if (!ReferenceEquals(current, credentials.Current()))
            {
                current = credentials.Current();
                ctx.ServerCertificate = TlsCertificates.CreateServerContext(current);
            }
        }
        await renewal;
    }

    /// <summary>Reports the inventory on every change (debounced) and at least every third of its TTL.</summary>
    private async Task ReportInventoryAsync(ProxyContext ctx, SemaphoreSlim changed, Action<string> log, CancellationToken ct)
    {
        var failing = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _api!.ReportInventoryAsync(new InventoryReport { Databases = InventoryEntries.From(ctx.Agents), TtlSeconds = (int)InventoryTtl.TotalSeconds }, ct);
                failing = false;
            }
            catch (AuthApiException e)
            {
                if (!failing)
                {
                    log($"cannot report the inventory to the auth service: {e.Message}");
                }
                failing = true;
            }
            await changed.WaitAsync(InventoryTtl / 3, ct);
            await Task.Delay(200, ct);
            while (changed.CurrentCount > 0)
            {
                await changed.WaitAsync(ct);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _loops.StopAsync(TimeSpan.FromSeconds(10));
        _loops.Dispose();
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
        _api?.Dispose();
    }
}
