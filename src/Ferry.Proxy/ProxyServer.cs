using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Ferry.Proxy.MySql;
using Ferry.Proxy.Postgres;
using Ferry.Contracts;
using Ferry.Diagnostics;

namespace Ferry.Proxy;

/// <summary>
/// Port 3080: one listener for PostgreSQL clients, agent tunnels and the API. The first bytes
/// decide, without being consumed: a TLS ClientHello is routed by ALPN (<c>ferry-tunnel</c>,
/// <c>postgresql</c> direct SSL, <c>ferry-mysql</c> from Ferry's local proxy — the MySQL greeting is
/// then sent inside TLS —, <c>h2</c>/<c>http/1.1</c> passed through to the auth API),
/// a PostgreSQL SSLRequest is answered <c>S</c> then TLS, GSSENCRequest <c>N</c>, and a
/// CancelRequest is routed to the agent that minted the key.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    public static readonly SslApplicationProtocol TunnelAlpn = new("ferry-tunnel");
    public static readonly SslApplicationProtocol PostgresAlpn = new("postgresql");
    public static readonly SslApplicationProtocol MySqlAlpn = new("ferry-mysql");

    private readonly ProxyContext _ctx;
    private readonly TcpAcceptLoop _accept;
    private readonly TunnelAcceptor _tunnels;
    private IDisposable? _readiness;

    public ProxyServer(ProxyContext ctx, IPEndPoint endPoint)
    {
        _ctx = ctx;
        _tunnels = new TunnelAcceptor(ctx);
        _accept = new TcpAcceptLoop(endPoint);
    }

    public IPEndPoint EndPoint => _accept.EndPoint;

    public void Start()
    {
        _accept.Start((socket, _) => HandleAsync(socket));
        _readiness = Readiness.Process.Register($"proxy listening on {EndPoint}", static () => true);
        ProxyLog.Listening(_ctx.Log, EndPoint, "postgres, tunnels, api");
    }

    private async Task HandleAsync(Socket socket)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        var accepted = Stopwatch.GetTimestamp();
        var net = new NetworkStream(socket, ownsSocket: true);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_accept.Stopping);
            handshake.CancelAfter(_ctx.HandshakeTimeout);
            var buffer = new byte[TlsClientHello.MaxRecord];
            var filled = 0;
            while (true)
            {
                while (filled < 8)
                {
                    var n = await net.ReadAsync(buffer.AsMemory(filled), handshake.Token);
                    if (n == 0)
                    {
                        await net.DisposeAsync();
                        return;
                    }
                    filled += n;
                }
                if (buffer[0] == 0x16)
                {
                    await HandleTlsAsync(net, buffer, filled, remote, accepted, handshake.Token);
                    return;
                }
                var length = BinaryPrimitives.ReadInt32BigEndian(buffer);
                var code = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(4));
                if (length == 8 && code == 80877103)
                {
                    // SSLRequest: answer S, then TLS on the same connection.
                    await net.WriteAsync("S"u8.ToArray(), handshake.Token);
                    var rest = buffer.AsMemory(8, filled - 8).ToArray();
                    var ssl = await AuthenticateAsync(new PrefixedStream(net, rest), [], handshake.Token, remote);
                    if (ssl is not null)
                    {
                        await new PostgresProxySession(_ctx, ssl, remote, accepted).RunAsync(_accept.Stopping);
                    }
                    return;
                }
                if (length == 8 && code == 80877104)
                {
                    // GSSENCRequest: not supported; the client falls back to SSLRequest.
                    await net.WriteAsync("N"u8.ToArray(), handshake.Token);
                    Buffer.BlockCopy(buffer, 8, buffer, 0, filled - 8);
                    filled -= 8;
                    continue;
                }
                if (code == 80877102)
                {
                    var packet = await ReadPacketAsync(net, buffer, filled, length, handshake.Token);
                    if (packet is not null)
                    {
                        await PostgresCancel.ForwardAsync(_ctx, packet, remote, _accept.Stopping);
                    }
                    await net.DisposeAsync();
                    return;
                }
                // A StartupMessage without TLS, or something else entirely.
                Refusals.Record(_ctx, "postgres", remote, Refusals.TlsRequired, "a StartupMessage without TLS");
                await PostgresProxySession.RefusePlainAsync(net);
                return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            ProxyLog.HandshakeFailed(_ctx.Log, remote.ToString(), e.Message);
            await net.DisposeAsync();
        }
    }

    private static async Task<byte[]?> ReadPacketAsync(Stream net, byte[] buffer, int filled, int length, CancellationToken ct)
    {
        if (length is < 8 or > 512)
        {
            return null;
        }
        while (filled < length)
        {
            var n = await net.ReadAsync(buffer.AsMemory(filled, length - filled), ct);
            if (n == 0)
            {
                return null;
            }
            filled += n;
        }
        return buffer.AsSpan(0, length).ToArray();
    }

    private async Task HandleTlsAsync(NetworkStream net, byte[] buffer, int filled, IPEndPoint remote, long accepted, CancellationToken ct)
    {
        string[] alpn;
        while (true)
        {
            var status = TlsClientHello.TryParse(buffer.AsSpan(0, filled), out alpn, out _);
            if (status != TlsClientHello.Result.NeedMore)
            {
                break;
            }
            var n = await net.ReadAsync(buffer.AsMemory(filled), ct);
            if (n == 0)
            {
                await net.DisposeAsync();
                return;
            }
            filled += n;
        }
        var prefix = buffer.AsSpan(0, filled).ToArray();
        // HTTPS for the API: ALPN h2/http/1.1, or no ALPN at all (.NET's HttpClient sends none for HTTP/1.1;
        // PostgreSQL 17 direct SSL always sends "postgresql", and PostgreSQL clients otherwise start with SSLRequest).
        if (_ctx.AuthApiEndPoint is not null && (alpn.Length == 0 || alpn.Any(a => a is "h2" or "http/1.1")) && !alpn.Contains(TunnelAlpn.ToString()) && !alpn.Contains("postgresql") && !alpn.Contains("ferry-mysql"))
        {
            await ApiPassthrough.RunAsync(new PrefixedStream(net, prefix), _ctx.AuthApiEndPoint, _accept.Stopping);
            return;
        }
        var offered = new List<SslApplicationProtocol>();
        if (alpn.Contains("ferry-tunnel"))
        {
            offered.Add(TunnelAlpn);
        }
        if (alpn.Contains("postgresql"))
        {
            offered.Add(PostgresAlpn);
        }
        if (alpn.Contains("ferry-mysql"))
        {
            offered.Add(MySqlAlpn);
        }
        var ssl = await AuthenticateAsync(new PrefixedStream(net, prefix), offered, ct, remote);
        if (ssl is null)
        {
            return;
        }
        if (ssl.NegotiatedApplicationProtocol == TunnelAlpn)
        {
            await _tunnels.RunAsync(ssl, remote, _accept.Stopping);
        }
        else if (ssl.NegotiatedApplicationProtocol == MySqlAlpn)
        {
            // Ferry's local proxy: TLS first, then the MySQL greeting inside it.
            await new MySqlProxySession(_ctx, remote, accepted).RunTlsAsync(ssl, _accept.Stopping);
        }
        else
        {
            // Direct SSL (PostgreSQL 17 sslnegotiation=direct), or any TLS client when no auth API is behind this proxy.
            await new PostgresProxySession(_ctx, ssl, remote, accepted).RunAsync(_accept.Stopping);
        }
    }

    private async Task<SslStream?> AuthenticateAsync(Stream inner, List<SslApplicationProtocol> alpn, CancellationToken ct, IPEndPoint? remote = null)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = _ctx.ClientCertificateTlsOptions(alpn);
        try
        {
            await ssl.AuthenticateAsServerAsync(options, ct);
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            ProxyLog.HandshakeFailed(_ctx.Log, remote?.ToString() ?? "", e.Message);
            await ssl.DisposeAsync();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _readiness?.Dispose();
        await _accept.DisposeAsync();
        await _tunnels.DisposeAsync();
    }
}
