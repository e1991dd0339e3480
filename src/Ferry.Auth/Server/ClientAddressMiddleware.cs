using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Ferry.Auth.Server;

/// <summary>
/// Kestrel connection middleware in front of TLS on the API listener. A connection a proxy passed through
/// starts with the proxy's signed PROXY protocol v2 header (<see cref="ProxyProtocolHeader"/>): when its proxy
/// host certificate verifies, its signature matches, its timestamp is within <see cref="AuthServerOptions.ProxyHeaderMaxSkew"/>
/// and its nonce is new, the client address in it replaces the TCP peer for everything after (throttling, audit);
/// a header that fails any check closes the connection. Connections without one are direct clients. Then the
/// connections of one client address are capped (<see cref="AuthServerOptions.MaxApiConnectionsPerSource"/>).
/// Every refusal is counted, logged and audited, the audit aggregated per (reason, source address) and window
/// (<see cref="ConnectionRefusalAudit"/>) so that a flood of connections writes a bounded number of events.
/// </summary>
internal sealed class ClientAddressMiddleware(AuthService service, AuthServerOptions options) : IDisposable
{
    public const string ReasonInvalidProxyHeader = "proxy_header_invalid";
    public const string ReasonTooManyConnections = "api_connections_per_source";
    private const int MaxNonces = 200_000;

    private readonly ConcurrentDictionary<IPAddress, int> _perSource = new();
    private readonly Dictionary<UInt128, DateTimeOffset> _nonces = [];
    private readonly Lock _nonceLock = new();
    private readonly ILogger _log = FerryLogging.Factory.CreateLogger("Ferry.Auth");
    private ITimer? _flush;

    /// <summary>The aggregated audit of refused connections (its <see cref="ConnectionRefusalAudit.Flush"/> runs every window once <see cref="Start"/> is called).</summary>
    internal ConnectionRefusalAudit RefusalAudit { get; } = new(service, options.ConnectionRefusalAuditWindow, FerryLogging.Factory.CreateLogger("Ferry.Auth"));

    /// <summary>The aggregated audit of malformed API requests (<c>api.request</c> <c>TJ006W</c>), flushed with <see cref="RefusalAudit"/>.</summary>
    internal ConnectionRefusalAudit RequestRefusalAudit { get; } = new(service, options.ConnectionRefusalAuditWindow, FerryLogging.Factory.CreateLogger("Ferry.Auth"),
        Ferry.Audit.AuditEventKinds.ApiRequestRefused, "requests");

    /// <summary>Starts the window timer of <see cref="RefusalAudit"/> and <see cref="RequestRefusalAudit"/>.</summary>
    public ClientAddressMiddleware Start()
    {
        _flush ??= options.Time.CreateTimer(static s => ((ClientAddressMiddleware)s!).FlushRefusals(), this,
            options.ConnectionRefusalAuditWindow, options.ConnectionRefusalAuditWindow);
        return this;
    }

    /// <summary>Stops the window timer and writes what is still counted.</summary>
    public void Dispose()
    {
        _flush?.Dispose();
        FlushRefusals();
    }

    private void FlushRefusals()
    {
        RefusalAudit.Flush();
        RequestRefusalAudit.Flush();
    }

    public async Task OnConnectionAsync(ConnectionContext connection, Func<Task> next)
    {
        var peer = connection.RemoteEndPoint as IPEndPoint;
        using (var timeout = new CancellationTokenSource(options.ProxyHeaderTimeout, options.Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, connection.ConnectionClosed))
        {
            string? refusal;
            try
            {
                refusal = await ReadProxyHeaderAsync(connection, peer, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // nothing (or not all of a header) arrived in time, or the client left
            }

            if (refusal is not null)
            {
                Refuse(peer, ReasonInvalidProxyHeader, refusal);
                return;
            }
        }

        var client = Normalize((connection.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None);
        var count = _perSource.AddOrUpdate(client, 1, static (_, n) => n + 1);
        try
        {
            if (count > options.MaxApiConnectionsPerSource)
            {
                Refuse(connection.RemoteEndPoint as IPEndPoint, ReasonTooManyConnections,
                    $"{options.MaxApiConnectionsPerSource} API connections from this address are open already");
                return;
            }

            await next().ConfigureAwait(false);
        }
        finally
        {
            if (_perSource.AddOrUpdate(client, 0, static (_, n) => n - 1) <= 0)
            {
                _perSource.TryRemove(new KeyValuePair<IPAddress, int>(client, 0));
            }
        }
    }

    /// <summary>Consumes a PROXY header if the connection starts with one; null when fine, else why it was refused.</summary>
    private async Task<string?> ReadProxyHeaderAsync(ConnectionContext connection, IPEndPoint? peer, CancellationToken ct)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = read.Buffer;
            if (buffer.Length == 0)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return null; // the connection closed at once: nothing to serve, nothing to refuse
                }

                continue;
            }

            if (!ProxyProtocolHeader.StartsHeader(buffer.FirstSpan[0]))
            {
                input.AdvanceTo(buffer.Start); // a direct client (TLS ClientHello): leave every byte for TLS
                return null;
            }

            var status = ProxyProtocolHeader.TryRead(buffer, out var header, out var consumed, out var error);
            if (status == OperationStatus.NeedMoreData)
            {
                if (read.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    return "the connection closed inside the PROXY protocol header";
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            if (status != OperationStatus.Done)
            {
                input.AdvanceTo(buffer.End);
                return error;
            }

            input.AdvanceTo(buffer.GetPosition(consumed));
            if (Check(header!, out var proxyId) is { } problem)
            {
                return problem;
            }

            AuthLog.ClientAddressFromProxy(_log, proxyId, peer?.ToString() ?? "unknown", header!.Source.ToString());
            connection.RemoteEndPoint = header.Source;
            return null;
        }
    }

    private string? Check(ProxyProtocolHeader header, out string proxyId)
    {
        proxyId = "";
        var verified = service.HostVerifier.VerifyHost(header.Certificate, HostRole.Proxy);
        if (!verified.IsValid)
        {
            return "the PROXY protocol header's certificate is not a valid proxy host certificate: " + verified.Message;
        }

        proxyId = verified.Identity.HostId;

        using var certificate = X509CertificateLoader.LoadCertificate(header.Certificate);
        if (!header.VerifySignature(certificate))
        {
            return "the PROXY protocol header's signature does not match its proxy certificate";
        }

        var now = options.Time.GetUtcNow();
        if ((now - header.Timestamp).Duration() > options.ProxyHeaderMaxSkew)
        {
            return "the PROXY protocol header's timestamp is too far from this server's clock (check the proxy's clock)";
        }

        var nonce = new UInt128(BitConverter.ToUInt64(header.Nonce, 0), BitConverter.ToUInt64(header.Nonce, 8));
        lock (_nonceLock)
        {
            if (_nonces.Count >= MaxNonces)
            {
                foreach (var (n, expires) in _nonces.ToArray())
                {
                    if (expires <= now)
                    {
                        _nonces.Remove(n);
                    }
                }
            }

            if (_nonces.Count >= MaxNonces)
            {
                return "too many proxied connections within the replay window";
            }

            if (!_nonces.TryAdd(nonce, header.Timestamp + options.ProxyHeaderMaxSkew + options.ProxyHeaderMaxSkew))
            {
                return "the PROXY protocol header was replayed";
            }
        }

        return null;
    }

    private void Refuse(IPEndPoint? client, string reason, string detail)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Auth, reason);
        AuthLog.ConnectionRefused(_log, client?.ToString() ?? "unknown", reason, detail);
        RefusalAudit.Refused(reason, client is null ? "unknown" : Normalize(client.Address).ToString(), detail);
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
