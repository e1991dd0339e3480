using System.Net;
using System.Net.Sockets;
using Ferry.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Proxy;

/// <summary>
/// A listening socket and its accept loop: each accepted connection (Nagle off) is handed to
/// <c>handle</c> on the thread pool with the loop's stop token; disposing stops accepting. An accept
/// error (out of file descriptors: EMFILE/ENFILE, or any other) is logged, counted
/// (<c>ferry_accept_errors_total</c>) and followed by a wait that doubles from <see cref="FirstBackoff"/>
/// up to <see cref="MaxBackoff"/> while errors continue, so the loop never spins on a failing accept.
/// </summary>
internal sealed class TcpAcceptLoop : IAsyncDisposable
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(10);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly Socket? _listener;
    private readonly Func<CancellationToken, ValueTask<Socket>> _accept;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private readonly IPEndPoint _endPoint;
    private readonly string _name;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public TcpAcceptLoop(IPEndPoint endPoint, string name = "postgres", ILogger? log = null)
    {
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(endPoint);
        _listener.Listen(1024);
        _endPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accept = _listener.AcceptAsync;
        _delay = static (d, ct) => Task.Delay(d, ct);
        _name = name;
        _log = log ?? NullLogger.Instance;
    }

    /// <summary>A loop over another accept function and wait (tests: a failing accept, a recorded back-off).</summary>
    internal TcpAcceptLoop(Func<CancellationToken, ValueTask<Socket>> accept, Func<TimeSpan, CancellationToken, Task> delay, string name, ILogger? log = null)
    {
        _accept = accept;
        _delay = delay;
        _endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        _name = name;
        _log = log ?? NullLogger.Instance;
    }

    public IPEndPoint EndPoint => _endPoint;

    public CancellationToken Stopping => _stop.Token;

    /// <summary>The loop; completes when the loop stops.</summary>
    internal Task? Loop => _loop;

    public void Start(Func<Socket, CancellationToken, Task> handle) => _loop = RunAsync(handle);

    /// <summary>The wait after <paramref name="failures"/> accept errors in a row (1, 2, …): doubling, capped.</summary>
    public static TimeSpan Backoff(int failures)
    {
        var ms = FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxBackoff.TotalMilliseconds));
    }

    private async Task RunAsync(Func<Socket, CancellationToken, Task> handle)
    {
        var failures = 0;
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _accept(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidOperationException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                failures++;
                var wait = Backoff(failures);
                FerryMetrics.AcceptError(_name);
                // Once per doubling at most (the first error, then whenever the wait grows, then once a cap-long wait in 30).
                if (failures == 1 || wait < MaxBackoff || failures % 30 == 0)
                {
                    ProxyLog.AcceptFailed(_log, _endPoint, e.Message, (long)wait.TotalMilliseconds, failures);
                }
                try
                {
                    await _delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (failures > 0)
            {
                ProxyLog.AcceptRecovered(_log, _endPoint, failures);
                failures = 0;
            }
            socket.NoDelay = true;
            var token = _stop.Token;
            _ = Task.Run(() => handle(socket, token), CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Dispose();
        if (_loop is not null)
        {
            await _loop;
        }
        // _stop is not disposed: sessions still running read Stopping until they end.
    }
}
