using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Ferry.Proxy.MySql;
using Ferry.Proxy.Postgres;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Identity.Tls.OpenSsl;

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
    public static readonly SslApplicationProtocol TunnelAlpn = new(Alpn.Tunnel);
    public static readonly SslApplicationProtocol PostgresAlpn = new(Alpn.Postgres);
    public static readonly SslApplicationProtocol MySqlAlpn = new(Alpn.MySql);

    private readonly ProxyContext _ctx;
    private readonly TcpAcceptLoop _accept;
    private readonly TunnelAcceptor _tunnels;
    private IDisposable? _readiness;
    private ITimer? _flush;

    public ProxyServer(ProxyContext ctx, IPEndPoint endPoint)
    {
        _ctx = ctx;
        _tunnels = new TunnelAcceptor(ctx);
        _accept = new TcpAcceptLoop(endPoint, "postgres", ctx.Log);
    }

    public IPEndPoint EndPoint => _accept.EndPoint;

    public void Start()
    {
        _accept.Start((socket, _) => HandleLimitedAsync(socket));
        _flush = _ctx.Time.CreateTimer(static state => ProxyAudit.FlushAggregates((ProxyContext)state!), _ctx,
            _ctx.RefusalAggregates.Window, _ctx.RefusalAggregates.Window);
        _readiness = Readiness.Process.Register($"proxy listening on {EndPoint}", static () => true);
        ProxyLog.Listening(_ctx.Log, EndPoint, "postgres, tunnels, api");
    }

    /// <summary>
    /// Takes a connection slot (<see cref="ConnectionLimiter"/>) for the connection's lifetime; over a cap the
    /// connection is closed before anything is read (the protocol is not known yet on this port).
    /// </summary>
    private async Task HandleLimitedAsync(Socket socket)
    {
        if (socket.RemoteEndPoint is not IPEndPoint remote)
        {
            socket.Dispose();
            return;
        }
        var refusal = _ctx.Connections.TryAcquire(remote.Address);
        if (refusal is not null)
        {
            Refusals.Record(_ctx, "tcp", remote, refusal, refusal == Refusals.ConnectionLimit
                ? $"the proxy holds proxy.max_connections ({_ctx.Connections.MaxTotal}) connections"
                : $"this address holds proxy.max_connections_per_source ({_ctx.Connections.MaxPerSource}) connections");
            socket.Dispose();
            return;
        }
        try
        {
            await HandleAsync(socket, remote);
        }
        finally
        {
            _ctx.Connections.Release(remote.Address);
        }
    }

    private async Task HandleAsync(Socket socket, IPEndPoint remote)
    {
        var accepted = Stopwatch.GetTimestamp();
        var net = new NetworkStream(socket, ownsSocket: true);
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_accept.Stopping);
            handshake.CancelAfter(_ctx.HandshakeTimeout);
            var first = await ReadFirstBytesAsync(net, remote, handshake.Token);
            switch (first.Route)
            {
                case FirstRoute.Tls:
                    await HandleTlsAsync(net, first.Prefix, first.Alpn, remote, accepted, handshake.Token);
                    return;
                case FirstRoute.SslRequest:
                    var ssl = await AcceptClientAsync(net, first.Prefix, null, handshake.Token, remote);
                    if (ssl is not null)
                    {
                        await new PostgresProxySession(_ctx, ssl, remote, accepted).RunAsync(_accept.Stopping);
                    }
                    return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            ProxyLog.HandshakeFailed(_ctx.Log, remote.ToString(), e.Message);
            await net.DisposeAsync();
        }
    }

    private enum FirstRoute
    {
        /// <summary>Answered (cancel forwarded, refusal sent) or closed: nothing more on this connection.</summary>
        Done,

        /// <summary>A TLS ClientHello: <see cref="FirstBytes.Prefix"/> holds it, <see cref="FirstBytes.Alpn"/> its protocols.</summary>
        Tls,

        /// <summary>A PostgreSQL SSLRequest, answered <c>S</c>: <see cref="FirstBytes.Prefix"/> holds what followed it.</summary>
        SslRequest,
    }

    private readonly record struct FirstBytes(FirstRoute Route, byte[] Prefix, string[] Alpn);

    /// <summary>
    /// Reads the connection's first bytes into a pooled buffer until they decide the route, and answers the
    /// requests that end there (GSSENCRequest, CancelRequest, a plain StartupMessage, garbage). The buffer goes
    /// back to the pool before the session starts: a session or tunnel keeps only the bytes it still has to replay.
    /// </summary>
    private async Task<FirstBytes> ReadFirstBytesAsync(NetworkStream net, IPEndPoint remote, CancellationToken ct)
    {
        var done = new FirstBytes(FirstRoute.Done, [], []);
        var buffer = ArrayPool<byte>.Shared.Rent(TlsClientHello.MaxRecord);
        try
        {
            // Never more than one TLS record, whatever size the pool handed out.
            var sniff = buffer.AsMemory(0, TlsClientHello.MaxRecord);
            var filled = 0;
            while (true)
            {
                if (filled > 0 && buffer[0] == TlsClientHello.ContentTypeHandshake)
                {
                    while (true)
                    {
                        if (TlsClientHello.TryParse(buffer.AsSpan(0, filled), out var alpn, out _) != TlsClientHello.Result.NeedMore)
                        {
                            return new FirstBytes(FirstRoute.Tls, buffer.AsSpan(0, filled).ToArray(), alpn);
                        }
                        var read = await net.ReadAsync(sniff[filled..], ct);
                        if (read == 0)
                        {
                            await net.DisposeAsync();
                            return done;
                        }
                        filled += read;
                    }
                }
                var status = OperationStatus.NeedMoreData;
                StartupPacketHeader header = default;
                StartupPacket cancel = default;
                try
                {
                    var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(buffer, 0, filled));
                    status = StartupPacketReader.TryPeekHeader(ref reader, out header);
                    if (status == OperationStatus.Done && header.Kind == StartupPacketKind.CancelRequest)
                    {
                        status = StartupPacketReader.TryRead(ref reader, out cancel);
                    }
                }
                catch (PostgresProtocolException e)
                {
                    // Not PostgreSQL's first packet (nor TLS): refused with the reason, counted and audited.
                    Refusals.Record(_ctx, "postgres", remote, Refusals.BadStartup, $"unparsable first packet: {e.Message}");
                    await using (net)
                    {
                        await PostgresProxySession.WriteFatalAsync(net, e.SqlState,
                            $"ferry: invalid startup packet ({e.Message}): connect with a PostgreSQL client, sslmode=verify-full and the certificate from `ferry db login`");
                    }
                    return done;
                }
                if (status == OperationStatus.NeedMoreData)
                {
                    var n = await net.ReadAsync(sniff[filled..], ct);
                    if (n == 0)
                    {
                        await net.DisposeAsync();
                        return done;
                    }
                    filled += n;
                    continue;
                }
                switch (header.Kind)
                {
                    case StartupPacketKind.SslRequest:
                        // Answer S, then TLS on the same connection.
                        await net.WriteAsync(EncryptionRequest.Accept.ToArray(), ct);
                        return new FirstBytes(FirstRoute.SslRequest, buffer.AsSpan(header.Length, filled - header.Length).ToArray(), []);
                    case StartupPacketKind.GssEncRequest:
                        // Not supported: the client falls back to SSLRequest.
                        await net.WriteAsync(EncryptionRequest.Refuse.ToArray(), ct);
                        Buffer.BlockCopy(buffer, header.Length, buffer, 0, filled - header.Length);
                        filled -= header.Length;
                        continue;
                    case StartupPacketKind.CancelRequest:
                        await PostgresCancel.ForwardAsync(_ctx, cancel, remote, _accept.Stopping);
                        await net.DisposeAsync();
                        return done;
                    default:
                        // A StartupMessage without TLS.
                        Refusals.Record(_ctx, "postgres", remote, Refusals.TlsRequired, "a StartupMessage without TLS (sslmode=disable or allow)");
                        await PostgresProxySession.RefusePlainAsync(net);
                        return done;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleTlsAsync(NetworkStream net, byte[] prefix, string[] alpn, IPEndPoint remote, long accepted, CancellationToken ct)
    {
        // HTTPS for the API: ALPN h2/http/1.1, or no ALPN at all (.NET's HttpClient sends none for HTTP/1.1;
        // PostgreSQL 17 direct SSL always sends "postgresql", and PostgreSQL clients otherwise start with SSLRequest).
        if (_ctx.AuthApiEndPoint is not null && (alpn.Length == 0 || alpn.Any(a => a is Alpn.Http2 or Alpn.Http11)) && !alpn.Contains(Alpn.Tunnel) && !alpn.Contains(Alpn.Postgres) && !alpn.Contains(Alpn.MySql))
        {
            var local = net.Socket.LocalEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.Any, 0);
            await ApiPassthrough.RunAsync(_ctx, new PrefixedStream(net, prefix), remote, local, _ctx.AuthApiEndPoint, _accept.Stopping);
            return;
        }
        var offered = new List<SslApplicationProtocol>();
        if (alpn.Contains(Alpn.Tunnel))
        {
            offered.Add(TunnelAlpn);
        }
        if (alpn.Contains(Alpn.Postgres))
        {
            offered.Add(PostgresAlpn);
        }
        if (alpn.Contains(Alpn.MySql))
        {
            offered.Add(MySqlAlpn);
        }
        // Agent tunnels: at most proxy.max_tunnel_handshakes TLS handshakes at once; over it the connection is closed
        // before any TLS work and the agent retries after its backoff.
        var tunnel = offered.Contains(TunnelAlpn);
        if (tunnel && !_ctx.TunnelHandshakes.TryEnter())
        {
            await net.DisposeAsync();
            return;
        }
        if (tunnel)
        {
            OpenSslStream? tunnelTls;
            try
            {
                tunnelTls = await AcceptClientAsync(net, prefix, offered, ct, remote);
            }
            finally
            {
                _ctx.TunnelHandshakes.Exit();
            }
            if (tunnelTls is null)
            {
                return;
            }
            if (tunnelTls.NegotiatedApplicationProtocol != TunnelAlpn)
            {
                ProxyLog.HandshakeFailed(_ctx.Log, remote.ToString(), "a client offering the agent tunnel protocol did not take it");
                await tunnelTls.DisposeAsync();
                return;
            }
            await _tunnels.RunAsync(tunnelTls, remote, _accept.Stopping);
            return;
        }

        // Database clients.
        var ssl = await AcceptClientAsync(net, prefix, offered, ct, remote);
        if (ssl is null)
        {
            return;
        }
        if (ssl.NegotiatedApplicationProtocol == MySqlAlpn)
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

    /// <summary>
    /// The server side of a client's TLS handshake (database clients and agent tunnels), through OpenSSL directly: one
    /// shared context, record buffers released while the connection idles. Null (logged, connection closed) when it fails.
    /// </summary>
    private async Task<OpenSslStream?> AcceptClientAsync(NetworkStream net, byte[] prefix, List<SslApplicationProtocol>? alpn, CancellationToken ct, IPEndPoint remote)
    {
        try
        {
            return await OpenSslStream.AcceptAsync(net, prefix, OpenSslContext.ForServer(_ctx.ServerCertificate), alpn, ct);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            ProxyLog.HandshakeFailed(_ctx.Log, remote.ToString(), e.Message);
            return null; // AcceptAsync closed the connection
        }
    }

    public async ValueTask DisposeAsync()
    {
        _readiness?.Dispose();
        _flush?.Dispose();
        await _accept.DisposeAsync();
        await _tunnels.DisposeAsync();
    }
}
