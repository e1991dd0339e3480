using System.Net;
using System.Net.Sockets;

namespace Ferry.Proxy.MySql;

/// <summary>
/// The MySQL listener (<c>proxy.mysql_listen_addr</c>, 3036 by default). MySQL clients wait for the
/// server's greeting, so they cannot share the sniffing port 3080 unless they arrive through Ferry's
/// local proxy with ALPN <c>ferry-mysql</c>.
/// </summary>
public sealed class MySqlProxyServer : IAsyncDisposable
{
    private readonly ProxyContext _ctx;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task? _acceptLoop;

    public MySqlProxyServer(ProxyContext ctx, IPEndPoint endPoint)
    {
        _ctx = ctx;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(endPoint);
        _listener.Listen(1024);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Start() => _acceptLoop = AcceptLoopAsync();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            socket.NoDelay = true;
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            _ = Task.Run(() => new MySqlProxySession(_ctx, remote).RunPlainAsync(new NetworkStream(socket, ownsSocket: true), _stop.Token));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }
    }
}
