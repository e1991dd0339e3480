using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Client;

/// <summary>
/// The browser's way back to <c>ferry login --sso</c>: a tiny HTTP/1.1 listener on <c>127.0.0.1</c> (random port), alive
/// only while one login waits. It answers exactly one request: <c>GET {Path}?request_id=ID&amp;status=…</c> with the
/// expected request id, and only after <see cref="WaitAsync"/>'s completion step has decided what the page says.
/// Anything else (another path, method or request id, a second answer, an oversized or slow request) gets a short
/// refusal and the wait goes on. The browser's <c>status</c> is not trusted: the caller asks the cluster.
/// </summary>
internal sealed class LoopbackRedirectListener : IDisposable
{
    /// <summary>Request head limit: a redirect carries a request id and a short error message.</summary>
    internal const int MaxRequestBytes = 8 * 1024;

    /// <summary>Connections served at once; more are closed straight away (a browser opens a few speculative ones).</summary>
    internal const int MaxConcurrentConnections = 16;

    /// <summary>How long one connection may take to send its request head.</summary>
    internal static readonly TimeSpan RequestHeadTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener;
    private readonly string _path;
    private int _connections;
    private int _answered;

    private LoopbackRedirectListener(TcpListener listener, string path)
    {
        _listener = listener;
        _path = path;
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        RedirectUrl = new Uri($"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}{path}");
    }

    /// <summary>Where the cluster sends the browser back to (given as <c>redirect_url</c>).</summary>
    public Uri RedirectUrl { get; }

    /// <summary>Listens on 127.0.0.1 with a port the system picks.</summary>
    public static LoopbackRedirectListener Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: MaxConcurrentConnections);
        return new LoopbackRedirectListener(listener, "/ferry/sso/callback");
    }

    /// <summary>
    /// Waits for the browser to come back with <paramref name="requestId"/>, then calls <paramref name="complete"/> with
    /// what it said and answers the browser with the page <paramref name="complete"/> returns. Returns the callback once
    /// <paramref name="complete"/> has run; cancelled by <paramref name="ct"/> (time limit, Ctrl-C).
    /// </summary>
    public async Task<LoopbackCallback> WaitAsync(string requestId, Func<LoopbackCallback, Task<LoopbackPage>> complete, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(complete);
        var done = new TaskCompletionSource<LoopbackCallback>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var registration = stop.Token.Register(() => done.TrySetCanceled(ct.IsCancellationRequested ? ct : stop.Token));
        var accepting = AcceptLoopAsync(requestId, complete, done, stop.Token);
        try
        {
            return await done.Task.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            _listener.Stop();
            await accepting.ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync(string requestId, Func<LoopbackCallback, Task<LoopbackPage>> complete, TaskCompletionSource<LoopbackCallback> done, CancellationToken ct)
    {
        var running = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    break;
                }

                if (Interlocked.Increment(ref _connections) > MaxConcurrentConnections)
                {
                    Interlocked.Decrement(ref _connections);
                    client.Dispose();
                    continue;
                }

                running.RemoveAll(t => t.IsCompleted);
                running.Add(ServeAsync(client, requestId, complete, done, ct));
            }
        }
        finally
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(TcpClient client, string requestId, Func<LoopbackCallback, Task<LoopbackPage>> complete, TaskCompletionSource<LoopbackCallback> done, CancellationToken ct)
    {
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                string? head;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    timeout.CancelAfter(RequestHeadTimeout);
                    head = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
                }

                var (status, page, callback) = Route(head, requestId);
                if (callback is not null)
                {
                    if (Interlocked.Exchange(ref _answered, 1) != 0)
                    {
                        (status, page) = (409, LoopbackPage.Refusal("This login has already been answered", "Go back to the terminal."));
                    }
                    else
                    {
                        try
                        {
                            page = await complete(callback).ConfigureAwait(false);
                        }
                        finally
                        {
                            done.TrySetResult(callback);
                        }
                    }
                }

                await WriteAsync(stream, status, page, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A browser's speculative connection, a slow or broken request: it does not end the wait.
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
        }
    }

    /// <summary>Decides what a request gets; a <c>callback</c> only for <c>GET</c> of the path with the expected request id.</summary>
    internal (int Status, LoopbackPage Page, LoopbackCallback? Callback) Route(string? head, string requestId)
    {
        if (head is null)
        {
            return (400, LoopbackPage.Refusal("Bad request", "The request was too large or incomplete."), null);
        }

        var line = head.AsSpan(0, Math.Max(0, head.IndexOf('\r', StringComparison.Ordinal)));
        var parts = line.ToString().Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !parts[1].StartsWith('/'))
        {
            return (400, LoopbackPage.Refusal("Bad request", "This is the loopback page of ferry login --sso."), null);
        }

        var target = parts[1];
        var q = target.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? target : target[..q];
        if (path != _path)
        {
            return (404, LoopbackPage.Refusal("Not found", "This is the loopback page of ferry login --sso."), null);
        }

        if (parts[0] != "GET")
        {
            return (405, LoopbackPage.Refusal("Method not allowed", "The login comes back with GET."), null);
        }

        var query = ParseQuery(q < 0 ? "" : target[(q + 1)..]);
        query.TryGetValue("request_id", out var id);
        if (id is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(id), Encoding.UTF8.GetBytes(requestId)))
        {
            return (400, LoopbackPage.Refusal("Not this login", "This address belongs to another login than the one ferry is waiting for. Start again with ferry login --sso."), null);
        }

        query.TryGetValue("status", out var status);
        query.TryGetValue("error", out var error);
        return (200, LoopbackPage.Refusal("", ""), new LoopbackCallback(id, status ?? "", error ?? ""));
    }

    internal static Dictionary<string, string> ParseQuery(string query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Unescape(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Unescape(pair[(eq + 1)..]);
            values.TryAdd(key, value); // the first one counts: a repeated parameter cannot override it
        }

        return values;
    }

    private static string Unescape(string s)
    {
        try
        {
            return Uri.UnescapeDataString(s.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return s;
        }
    }

    /// <summary>Reads up to the blank line ending the request head; null when it is longer than <see cref="MaxRequestBytes"/> or cut short.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[MaxRequestBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            filled += read;
            if (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) >= 0)
            {
                return Encoding.Latin1.GetString(buffer, 0, filled);
            }
        }

        return null;
    }

    private static async Task WriteAsync(NetworkStream stream, int status, LoopbackPage page, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(page.Html);
        var reason = status switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", 405 => "Method Not Allowed", 409 => "Conflict", _ => "Error" };
        var head = $"HTTP/1.1 {status.ToString(System.Globalization.CultureInfo.InvariantCulture)} {reason}\r\n"
            + "Content-Type: text/html; charset=utf-8\r\n"
            + $"Content-Length: {body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}\r\n"
            + "Cache-Control: no-store\r\n"
            + "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
            + "X-Content-Type-Options: nosniff\r\n"
            + "Referrer-Policy: no-referrer\r\n"
            + "Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct).ConfigureAwait(false);
        await stream.WriteAsync(body, ct).ConfigureAwait(false);
    }

    public void Dispose() => _listener.Stop();
}
