using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Proxy.MySql;

/// <summary>
/// The MySQL listener (<c>proxy.mysql_listen_addr</c>, 3036 by default). MySQL clients wait for the
/// server's greeting, so they cannot share the sniffing port 3080 unless they arrive through Ferry's
/// local proxy with ALPN <c>ferry-mysql</c>. Over a connection cap (<see cref="ConnectionLimiter"/>) the
/// client gets ER_CON_COUNT_ERROR instead of the greeting, as from a MySQL server at max_connections.
/// </summary>
public sealed class MySqlProxyServer(ProxyContext ctx, IPEndPoint endPoint) : IAsyncDisposable
{
    /// <summary>ER_CON_COUNT_ERROR ("Too many connections").</summary>
    internal const ushort TooManyConnections = 1040;

    private readonly TcpAcceptLoop _accept = new(endPoint, "mysql", ctx.Log);

    public IPEndPoint EndPoint => _accept.EndPoint;

    public void Start() => _accept.Start(HandleAsync);

    private async Task HandleAsync(Socket socket, CancellationToken ct)
    {
        if (socket.RemoteEndPoint is not IPEndPoint remote)
        {
            socket.Dispose();
            return;
        }
        var net = new NetworkStream(socket, ownsSocket: true);
        var refusal = ctx.Connections.TryAcquire(remote.Address);
        if (refusal is not null)
        {
            var detail = refusal == Refusals.ConnectionLimit
                ? $"the proxy holds proxy.max_connections ({ctx.Connections.MaxTotal}) connections"
                : $"this address holds proxy.max_connections_per_source ({ctx.Connections.MaxPerSource}) connections";
            Refusals.Record(ctx, "mysql", remote, refusal, detail);
            await using (net)
            {
                try
                {
                    var w = new ArrayBufferWriter<byte>(128);
                    ErrPacket.Write(w, 0, MySqlCapabilities.Protocol41, TooManyConnections, "08004", $"ferry: too many connections: {detail}");
                    await MySqlPacketStream.WriteFramedAsync(net, w, ct);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    ProxyLog.HandshakeFailed(ctx.Log, remote.ToString(), e.Message);
                }
            }
            return;
        }
        try
        {
            await new MySqlProxySession(ctx, remote, Stopwatch.GetTimestamp()).RunPlainAsync(net, ct);
        }
        finally
        {
            ctx.Connections.Release(remote.Address);
        }
    }

    public ValueTask DisposeAsync() => _accept.DisposeAsync();
}
