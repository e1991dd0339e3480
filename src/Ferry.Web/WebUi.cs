using System.Net;
using Ferry.Diagnostics;
using Ferry.Web.Consoles;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Ferry.Web;

/// <summary>
/// The web UI on the auth service's Kestrel listener (browsers reach it through the proxy's port 3080 like the API):
/// security headers on every response, the embedded pages under <c>/web/</c>, and the JSON API under <c>/web/api</c>
/// (contract: issue 23's WEB-API). Web sessions live in memory in this process.
/// </summary>
public sealed partial class WebUi : IAsyncDisposable
{
    public const string CookieName = "__Host-ferry_web";
    public const string CsrfHeader = "X-Ferry-Csrf";

    private readonly WebOptions _options;
    private readonly IWebAuthority _authority;
    private readonly ILogger _log = FerryLogging.Factory.CreateLogger("Ferry.Web");
    private readonly WebAssets _assets = WebAssets.Load();
    private readonly RefusalAudit _refusals;
    private EndPoint? _proxyEndPoint;

    public WebUi(WebOptions options, IWebAuthority authority)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(authority);
        _options = options;
        _authority = authority;
        Sessions = new WebSessionStore(options, authority, _log);
        _refusals = new RefusalAudit(authority);
        if (options.ProxyAddr is { } addr)
        {
            _proxyEndPoint = ParseEndPoint(addr);
        }

        Proxy = new ProxyConnector(() => Volatile.Read(ref _proxyEndPoint), authority.HostVerifier);
    }

    internal WebSessionStore Sessions { get; }

    internal ProxyConnector Proxy { get; }

    public WebOptions Options => _options;

    /// <summary>The proxy of the same process (all-in-one), used when <c>web.proxy_addr</c> is not set.</summary>
    public void UseLocalProxy(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (_options.ProxyAddr is not null)
        {
            return;
        }

        var address = endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : endpoint.Address;
        Volatile.Write(ref _proxyEndPoint, new IPEndPoint(address, endpoint.Port));
    }

    /// <summary>Adds the security headers middleware and the routes.</summary>
    public void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(next => context =>
        {
            SecurityHeaders.Apply(context);
            return next(context);
        });
        MapRoutes(app);
    }

    private void MapRoutes(IEndpointRouteBuilder app)
    {
        MapAssets(app);
        MapSession(app);
        MapDatabases(app);
        MapConsoles(app);
        MapRequests(app);
        MapAudit(app);
        MapAdmin(app);
        MapSso(app);
        MapWebAuthn(app);
    }

    // Each of these is implemented in its own WebUi.<Area>.cs; one left unimplemented maps nothing.
    partial void MapAudit(IEndpointRouteBuilder app);

    partial void MapAdmin(IEndpointRouteBuilder app);

    partial void MapSso(IEndpointRouteBuilder app);

    partial void MapWebAuthn(IEndpointRouteBuilder app);

    public ValueTask DisposeAsync() => Sessions.DisposeAsync();

    internal static EndPoint ParseEndPoint(string addr)
    {
        if (IPEndPoint.TryParse(addr, out var ip) && ip.Port != 0)
        {
            return ip;
        }

        var colon = addr.LastIndexOf(':');
        if (colon > 0 && int.TryParse(addr.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
        {
            return new DnsEndPoint(addr[..colon], port);
        }

        throw new ArgumentException($"web.proxy_addr \"{addr}\" must be host:port", nameof(addr));
    }
}
