using System.Net;
using System.Net.Sockets;

namespace Ferry.Proxy;

/// <summary>
/// A listening socket and its accept loop: each accepted connection (Nagle off) is handed to
/// <c>handle</c> on the thread pool with the loop's stop token; disposing stops accepting.
/// </summary>
internal sealed class TcpAcceptLoop : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public TcpAcceptLoop(IPEndPoint endPoint)
    {
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(endPoint);
        _listener.Listen(1024);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public CancellationToken Stopping => _stop.Token;

    public void Start(Func<Socket, CancellationToken, Task> handle) => _loop = RunAsync(handle);

    private async Task RunAsync(Func<Socket, CancellationToken, Task> handle)
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
            var token = _stop.Token;
            _ = Task.Run(() => handle(socket, token), CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        if (_loop is not null)
        {
            await _loop;
        }
        // _stop is not disposed: sessions still running read Stopping until they end.
    }
}
