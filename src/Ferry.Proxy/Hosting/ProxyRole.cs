using Ferry.Hosting;
using Ferry.Identity;
using Ferry.Proxy.MySql;

namespace Ferry.Proxy.Hosting;

/// <summary>
/// The proxy role, assembled the same way for a standalone proxy and for <c>ferryd --all-in-one</c>: the
/// shared context (locks, audit, trust), the PostgreSQL/tunnel/API port and the MySQL port, and a loop that
/// puts a renewed host certificate into service. Inventory reporting is the host's: straight into the auth
/// service in-process, over the API otherwise (<see cref="InventoryReporter"/>).
/// </summary>
public sealed class ProxyRole : IAsyncDisposable
{
    private static readonly TimeSpan CertificateCheck = TimeSpan.FromSeconds(10);
    private ProxyServer? _proxy;
    private MySqlProxyServer? _mysqlProxy;

    private ProxyRole(ProxyContext context) => Context = context;

    public ProxyContext Context { get; }

    public System.Net.IPEndPoint EndPoint => _proxy!.EndPoint;

    public System.Net.IPEndPoint MySqlEndPoint => _mysqlProxy!.EndPoint;

    /// <summary>Listens on both ports and starts the certificate loop on <paramref name="loops"/>.</summary>
    public static async Task<ProxyRole> StartAsync(ProxyRoleOptions options, ProxyRoleServices services, BackgroundLoops loops)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(loops);
        var certificate = services.Certificate();
        var ctx = new ProxyContext
        {
            ProxyId = options.HostId,
            ClusterName = services.ClusterName,
            ServerCertificate = TlsCertificates.CreateServerContext(certificate),
            UserVerifier = services.UserVerifier,
            HostVerifier = services.HostVerifier,
            Audit = services.Audit,
            FindLock = services.Locks.FindLock,
            IsAgentRegistered = id => services.Locks.IsHostRegistered(id, "agent"),
            AuthApiEndPoint = services.AuthApiEndPoint,
            AuthApiFallbackEndPoints = services.AuthApiFallbackEndPoints,
            HandshakeTimeout = options.HandshakeTimeout,
            Connections = new ConnectionLimiter(options.MaxConnections, options.MaxConnectionsPerSource),
            MaxTunnelHandshakes = options.MaxTunnelHandshakes,
        };
        ctx.Agents.BoundAgents = services.Locks.BoundAgents;
        services.Locks.HostRemoved += ctx.RemoveAgent;
        var role = new ProxyRole(ctx);
        try
        {
            role._proxy = new ProxyServer(ctx, options.ListenEndPoint);
            role._proxy.Start();
            role._mysqlProxy = new MySqlProxyServer(ctx, options.MySqlListenEndPoint);
            role._mysqlProxy.Start();
        }
        catch
        {
            await role.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        loops.Start(async ct =>
        {
            // The host renews the certificate; a new one serves from the next handshake on.
            var current = certificate;
            using var timer = new PeriodicTimer(CertificateCheck);
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var latest = services.Certificate();
                if (!ReferenceEquals(current, latest))
                {
                    current = latest;
                    ctx.ServerCertificate = TlsCertificates.CreateServerContext(latest);
                }
            }
        });
        return role;
    }

    public async ValueTask DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync().ConfigureAwait(false);
        }
        if (_mysqlProxy is not null)
        {
            await _mysqlProxy.DisposeAsync().ConfigureAwait(false);
        }
    }
}
