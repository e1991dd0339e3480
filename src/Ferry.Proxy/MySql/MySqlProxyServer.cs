using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ferry.Proxy.MySql;

/// <summary>
/// The MySQL listener (<c>proxy.mysql_listen_addr</c>, 3036 by default). MySQL clients wait for the
/// server's greeting, so they cannot share the sniffing port 3080 unless they arrive through Ferry's
/// local proxy with ALPN <c>ferry-mysql</c>.
/// </summary>
public sealed class MySqlProxyServer(ProxyContext ctx, IPEndPoint endPoint) : IAsyncDisposable
{
    private readonly TcpAcceptLoop _accept = new(endPoint);

    public IPEndPoint EndPoint => _accept.EndPoint;

    public void Start() => _accept.Start((socket, ct) =>
        new MySqlProxySession(ctx, (IPEndPoint)socket.RemoteEndPoint!, Stopwatch.GetTimestamp()).RunPlainAsync(new NetworkStream(socket, ownsSocket: true), ct));

    public ValueTask DisposeAsync() => _accept.DisposeAsync();
}
