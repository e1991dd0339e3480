using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Auth.AuditPipeline;
using Ferry.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Auth.Server;

/// <summary>
/// The auth HTTPS API on Kestrel. Its server certificate is a host certificate (role auth) issued at start from
/// the cluster's own host CA, for <see cref="AuthServerOptions.ServerId"/> with the public addresses, localhost and
/// 127.0.0.1 as SANs; clients pin the host CA (from <c>GET /v1/ca</c> or the login answer). Client certificates are
/// optional at the TLS layer and checked per endpoint.
/// </summary>
public sealed class AuthServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerAuditPipeline _audit;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stopping;
    private int _stopped;
    private IDisposable? _readiness;

    private AuthServer(WebApplication app, AuthService service, ServerAuditPipeline audit, X509Certificate2 certificate, IPEndPoint endpoint, CancellationTokenSource stopping, Ferry.Web.WebUi? web)
    {
        Web = web;
        _stopping = stopping;
        _app = app;
        Service = service;
        _audit = audit;
        _certificate = certificate;
        Endpoint = endpoint;
        _readiness = Ferry.Diagnostics.Readiness.Process.Register($"auth service listening on {endpoint}", () => Volatile.Read(ref _stopped) == 0);
    }

    /// <summary>The connection middleware in front of TLS (client address, per-source cap, refused-connection audit).</summary>
    internal ClientAddressMiddleware? ClientAddress { get; private init; }

    /// <summary>The web UI on this listener (null when <c>web.enabled</c> is false).</summary>
    public Ferry.Web.WebUi? Web { get; }

    /// <summary>The auth state behind the API (also usable in-process, e.g. by an all-in-one daemon).</summary>
    public AuthService Service { get; }

    /// <summary>The bound address (the real port when 0 was asked for).</summary>
    public IPEndPoint Endpoint { get; }

    public int Port => Endpoint.Port;

    /// <summary>The server's TLS certificate (a host certificate with role auth).</summary>
    public X509Certificate2 Certificate => _certificate;

    /// <summary>The PostgreSQL audit store when configured; null for the segment store in the data directory.</summary>
    private static Ferry.Audit.IAuditStore? OpenAuditStore(AuthServerOptions options) =>
        options.AuditStore == Ferry.Config.AuditStoreKind.Postgres
            ? PostgresAuditStore.Open(
                options.Backend.ConnString ?? throw new InvalidOperationException("audit_store: postgres needs a postgres backend with conn_string"),
                options.AuditRetention,
                options.Time)
            : null;

    /// <summary>Opens the data directory and starts listening.</summary>
    public static async Task<AuthServer> StartAsync(AuthServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listen = ParseListenAddress(options.ListenAddress);
        var audit = new ServerAuditPipeline(options.DataDir, options.Time, options.AuditRetention, OpenAuditStore(options));
        var stopping = new CancellationTokenSource();
        AuthService? service = null;
        ClientAddressMiddleware? clientAddress = null;
        Ferry.Web.WebUi? web = null;
        try
        {
            service = await AuthService.OpenAsync(
                new AuthServiceOptions
                {
                    DataDir = options.DataDir,
                    ClusterName = options.ClusterName,
                    Time = options.Time,
                    Throttle = options.Throttle,
                    ServerId = options.ServerId,
                    DefaultSessionTtl = options.DefaultSessionTtl,
                    SsoConnectors = options.SsoConnectors,
                    SessionMfaCertificateTtl = options.SessionMfaCertificateTtl,
                    HealthCheckUsers = options.HealthCheckUsers,
                    AccessRequests = options.AccessRequests,
                    Webhook = options.Webhook,
                    Backend = options.Backend,
                },
                audit,
                ct).ConfigureAwait(false);
            await service.ValidateSsoConnectorsAsync(ct).ConfigureAwait(false);
            var certificate = CreateServerCertificate(service, options, listen);
            // The host certificate is re-issued at two thirds of its life, so a long-running server keeps a valid one.
            var served = certificate;
            var renewAt = CertificateRenewal.RenewAt(served);
            var renewLock = new Lock();
            var issuingService = service;
            clientAddress = new ClientAddressMiddleware(service, options).Start();
            X509Certificate2 Current()
            {
                lock (renewLock)
                {
                    if (options.Time.GetUtcNow() >= renewAt)
                    {
                        served = CreateServerCertificate(issuingService, options, listen);
                        renewAt = CertificateRenewal.RenewAt(served);
                    }
                    return served;
                }
            }
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                // Everything a client sends is bounded: bodies (per endpoint below this), headers, request line,
                // HTTP/2 streams, idle keep-alive time and connections (in total here, per source in the middleware).
                kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxAuditUploadBytes, options.MaxRequestBodyBytes);
                kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
                kestrel.Limits.MaxRequestHeaderCount = 64;
                kestrel.Limits.MaxRequestLineSize = 8 * 1024;
                kestrel.Limits.MaxRequestBufferSize = 1024 * 1024;
                kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
                kestrel.Limits.KeepAliveTimeout = options.ApiIdleTimeout;
                kestrel.Limits.MaxConcurrentConnections = options.MaxApiConnections;
                kestrel.Limits.MaxConcurrentUpgradedConnections = options.MaxApiConnections;
                kestrel.Limits.Http2.MaxStreamsPerConnection = 32;
                kestrel.Limits.Http2.MaxRequestHeaderFieldSize = 8 * 1024;
                kestrel.Listen(listen, l =>
                {
                    l.Use(next => connection => clientAddress!.OnConnectionAsync(connection, () => next(connection)));
                    l.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificateSelector = (_, _) => Current(),
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = static (_, _, _) => true, // checked per endpoint against Ferry's CAs
                        CheckCertificateRevocation = false,
                    });
                });
            });
            var app = builder.Build();
            if (options.Web is { } webOptions)
            {
                web = new Ferry.Web.WebUi(webOptions, new WebAuthority(service, options.Time) { AuditPipeline = audit });
                web.Map(app);
            }

            new AuthEndpoints(service, audit, options, stopping.Token, clientAddress.RequestRefusalAudit).Map(app);
            await app.StartAsync(ct).ConfigureAwait(false);
            var bound = BoundEndpoint(app, listen);
            return new AuthServer(app, service, audit, certificate, bound, stopping, web) { ClientAddress = clientAddress };
        }
        catch
        {
            if (web is not null)
            {
                await web.DisposeAsync().ConfigureAwait(false);
            }

            clientAddress?.Dispose();
            if (service is not null)
            {
                await service.DisposeAsync().ConfigureAwait(false);
            }

            await audit.DisposeAsync().ConfigureAwait(false);
            stopping.Dispose();
            throw;
        }
    }

    /// <summary>Waits until audit events emitted so far are in the store (tests, orderly shutdown).</summary>
    public Task FlushAuditAsync(CancellationToken ct = default) => _audit.FlushAsync(ct);

    /// <summary>The audit store (search, verify).</summary>
    public Ferry.Audit.IAuditStore AuditStore => _audit.Store;

    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _readiness?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync(ct).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (Web is not null)
        {
            await Web.DisposeAsync().ConfigureAwait(false); // ends the web sessions and their consoles (audited)
        }

        ClientAddress?.Dispose();
        await Service.DisposeAsync().ConfigureAwait(false);
        await _audit.DisposeAsync().ConfigureAwait(false);
        _certificate.Dispose();
        _stopping.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    internal static IPEndPoint ParseListenAddress(string address)
    {
        if (IPEndPoint.TryParse(address, out var ep))
        {
            return ep;
        }

        var colon = address.LastIndexOf(':');
        if (colon > 0 && int.TryParse(address.AsSpan(colon + 1), out var port) && port is >= 0 and <= 65535
            && address[..colon] is "localhost")
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        throw new ArgumentException($"listen address \"{address}\" must be IP:port, e.g. 0.0.0.0:3025", nameof(address));
    }

    private static X509Certificate2 CreateServerCertificate(AuthService service, AuthServerOptions options, IPEndPoint listen)
    {
        var dns = new List<string> { "localhost" };
        var ips = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        foreach (var addr in options.PublicAddrs)
        {
            var host = addr;
            if (IPEndPoint.TryParse(addr, out var ep))
            {
                ips.Add(ep.Address);
                continue;
            }

            var colon = host.LastIndexOf(':');
            if (colon > 0)
            {
                host = host[..colon];
            }

            if (IPAddress.TryParse(host, out var ip))
            {
                ips.Add(ip);
            }
            else
            {
                dns.Add(host);
            }
        }

        if (!listen.Address.Equals(IPAddress.Any) && !listen.Address.Equals(IPAddress.IPv6Any))
        {
            ips.Add(listen.Address);
        }

        using var key = KeyPair.Generate();
        var issued = service.IssueHost(key.ToClientPublicKey(), HostRole.Auth, options.ServerId, [.. dns.Distinct()], [.. ips.Distinct()]);
        return TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
    }

    private static IPEndPoint BoundEndpoint(WebApplication app, IPEndPoint requested)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var a in addresses)
        {
            if (Uri.TryCreate(a, UriKind.Absolute, out var uri))
            {
                return new IPEndPoint(requested.Address, uri.Port);
            }
        }

        return requested;
    }
}
