using System.Net;
using Ferry.Config;
using Ferry.Hosting;

namespace Ferry.Proxy.Hosting;

/// <summary>
/// <c>ferryd</c> with a proxy section and no auth section: a stateless proxy on its own host. It joins the
/// auth service at <c>proxy.auth_addr</c> with a token (or reuses its stored host certificate), renews it,
/// follows locks, ships its audit events, passes API connections through to the auth service and reports
/// its agents' inventory for <c>ferry db ls</c>.
/// </summary>
public sealed class StandaloneProxy : IAsyncDisposable
{
    private readonly BackgroundLoops _loops = new();
    private ProxyRole? _role;

    private StandaloneProxy()
    {
    }

    public IPEndPoint? EndPoint => _role?.EndPoint;

    public static async Task<StandaloneProxy> StartAsync(FerryConfig config, Action<string> log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        var host = new StandaloneProxy();
        try
        {
            await host.StartCoreAsync(config, ProxyRoleOptions.FromConfig(config), log, ct).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(FerryConfig config, ProxyRoleOptions o, Action<string> log, CancellationToken ct)
    {
        var credentials = await HostCredentials.LoadOrJoinAsync(new HostJoinOptions
        {
            Directory = Path.Combine(config.DataDir, "proxy-host"),
            AuthAddress = o.AuthAddr,
            AuthAddresses = o.AuthAddrs,
            Role = "proxy",
            HostId = o.HostId,
            Token = o.JoinToken,
            CaPin = o.CaPin,
            DnsNames = [.. o.DnsNames],
            Ips = [.. o.IpAddresses.Select(ip => ip.ToString())],
        }, log, ct).ConfigureAwait(false);
        var api = _loops.Own(credentials.CreateApiClient(log));
        var locks = new LockFollower(api, log);
        var audit = _loops.Own(SpooledAudit.Start(Path.Combine(config.DataDir, "proxy-spool"), new HttpAuditUploader(api), _loops));
        var role = _role = _loops.Own(await ProxyRole.StartAsync(o, new ProxyRoleServices
        {
            ClusterName = credentials.ClusterName,
            Certificate = credentials.Current,
            UserVerifier = credentials.UserVerifier,
            HostVerifier = credentials.HostVerifier,
            Audit = audit.Sink,
            Locks = locks,
            AuthApiEndPoint = EndPointOf(o.AuthAddrs[0]),
            AuthApiFallbackEndPoints = [.. o.AuthAddrs.Skip(1).Select(EndPointOf)],
        }, _loops).ConfigureAwait(false));
        _loops.Start(locks.RunAsync);
        _loops.Start(t => credentials.RenewLoopAsync(api, log, TimeProvider.System, t));
        _loops.Start(new InventoryReporter(api, role.Context.Agents, log, o.TunnelAddr).RunAsync);
    }

    private static EndPoint EndPointOf(string hostPort)
    {
        Units.TryParseHostPort(hostPort, out var host, out var port);
        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
    }

    /// <summary>Stops the loops, then closes the listeners, the audit sink and the API client.</summary>
    public ValueTask DisposeAsync() => _loops.DisposeAsync();
}
