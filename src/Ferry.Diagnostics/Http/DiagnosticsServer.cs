using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Diagnostics.Http;

/// <summary>
/// The diagnostics listener (<c>diag_addr</c>): a deliberately tiny HTTP/1.1 server on a TCP socket, one
/// request per connection (<c>Connection: close</c>). <c>GET /metrics</c> is the Prometheus exposition,
/// <c>/healthz</c> answers 200 while the process runs, <c>/readyz</c> 200 or 503 with the reason. The
/// request head is bounded in size (<see cref="MaxRequestBytes"/>) and time (<see cref="RequestTimeout"/>),
/// and at most <see cref="MaxConnections"/> are served at once; others are closed at once.
/// </summary>
public sealed class DiagnosticsServer : IAsyncDisposable
{
    public const int MaxRequestBytes = 8 * 1024;
    public const int MaxConnections = 16;

    private readonly Socket _listener;
    private readonly Func<string> _metrics;
    private readonly Func<(bool Ready, string Reason)> _readiness;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(MaxConnections);
    private Task? _loop;

    public DiagnosticsServer(IPEndPoint endPoint, Func<string> metrics, Func<(bool Ready, string Reason)> readiness, ILogger? log = null)
    {
        _metrics = metrics;
        _readiness = readiness;
        _log = log ?? NullLogger.Instance;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(endPoint);
        _listener.Listen(64);
    }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Start() => _loop = AcceptLoopAsync();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // Disposed: the listener is closing.
                return;
            }
            catch (SocketException e)
            {
                // One failed accept (the peer reset before we got to it) does not stop the listener.
                DiagnosticsLog.AcceptFailed(_log, e.SocketErrorCode);
                continue;
            }
            if (!_slots.Wait(0))
            {
                socket.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(socket), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(RequestTimeout);
            var (status, contentType, body) = await AnswerAsync(stream, timeout.Token);
            await WriteResponseAsync(stream, status, contentType, body, timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that goes away or stalls past the timeout gets nothing more; the listener carries on.
            DiagnosticsLog.RequestAbandoned(_log, e.GetType().Name);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<(int Status, string ContentType, string Body)> AnswerAsync(Stream stream, CancellationToken ct)
    {
        var head = await ReadHeadAsync(stream, ct);
        if (head is null)
        {
            return (400, "text/plain", "bad request: the request head is malformed or larger than 8 KiB\n");
        }
        var requestLine = head[..head.IndexOf('\r', StringComparison.Ordinal)];
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return (400, "text/plain", "bad request\n");
        }
        if (parts[0] != "GET")
        {
            return (405, "text/plain", "method not allowed: use GET\n");
        }
        var path = parts[1];
        var query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            path = path[..query];
        }
        switch (path)
        {
            case "/metrics":
                return (200, "text/plain; version=0.0.4; charset=utf-8", _metrics());
            case "/healthz":
                return (200, "text/plain", "ok\n");
            case "/readyz":
                var (ready, reason) = _readiness();
                return (ready ? 200 : 503, "text/plain", reason + "\n");
            default:
                return (404, "text/plain", "not found: try /metrics, /healthz or /readyz\n");
        }
    }

    /// <summary>Reads up to the blank line that ends the request head; null when it is too large or the peer stops early.</summary>
    private static async Task<string?> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxRequestBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (n == 0)
            {
                return null;
            }
            filled += n;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return Encoding.ASCII.GetString(buffer, 0, end + 2);
            }
        }
        return null;
    }

    private static async Task WriteResponseAsync(Stream stream, int status, string contentType, string body, CancellationToken ct)
    {
        var payload = Encoding.UTF8.GetBytes(body);
        var reason = status switch
        {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Service Unavailable",
        };
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(head, ct);
        await stream.WriteAsync(payload, ct);
        await stream.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        if (_loop is not null)
        {
            await _loop;
        }
    }
}
