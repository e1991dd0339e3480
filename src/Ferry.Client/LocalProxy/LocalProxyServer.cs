using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Ferry.Identity;

namespace Ferry.Client;

/// <summary>
/// <c>ferry proxy db</c>: a plain TCP listener on 127.0.0.1 for clients that cannot present certificates; each
/// connection is carried to the Ferry proxy over TLS with the user's routed certificate (see the protocol subclasses).
/// </summary>
public abstract class LocalProxyServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Task? _accept;

    protected LocalProxyServer(RoutedCertificateSource certificates, ServerTrust upstreamTrust, ProxyAddress upstream, int port, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(upstreamTrust);
        Certificates = certificates;
        UpstreamTrust = upstreamTrust;
        Upstream = upstream;
        Log = log ?? (_ => { });
        _listener = new TcpListener(IPAddress.Loopback, port);
    }

    protected RoutedCertificateSource Certificates { get; }

    protected ServerTrust UpstreamTrust { get; }

    protected ProxyAddress Upstream { get; }

    protected Action<string> Log { get; }

    /// <summary>The bound local port (after <see cref="Start"/>).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Binds 127.0.0.1:port (an in-use port fails here with a clear message) and starts accepting.</summary>
    public void Start()
    {
        try
        {
            _listener.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new FerryClientException($"port {((IPEndPoint)_listener.LocalEndpoint).Port} on 127.0.0.1 is already in use: pick another with --port", e);
        }

        _accept = AcceptLoopAsync(_stop.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            Accepted++;
            socket.NoDelay = true;
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(socket, ct));
            }
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken ct)
    {
        await using var local = new NetworkStream(socket, ownsSocket: true);
        try
        {
            await HandleAsync(local, ct).ConfigureAwait(false);
        }
        catch (FerryClientException e)
        {
            Log(e.Message);
            await RefuseAsync(local, e.Message, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            if (!ct.IsCancellationRequested)
            {
                Log("connection ended: " + e.Message);
            }
        }
    }

    /// <summary>Serves one local connection until either side closes.</summary>
    protected abstract Task HandleAsync(NetworkStream local, CancellationToken ct);

    /// <summary>Tells the local client why it cannot go on, in its protocol when possible.</summary>
    protected virtual Task RefuseAsync(NetworkStream local, string message, CancellationToken ct) => Task.CompletedTask;

    /// <summary>TCP to the proxy, <paramref name="preamble"/> in plain text, then TLS with the routed certificate.</summary>
    protected async Task<SslStream> ConnectUpstreamAsync(Func<NetworkStream, CancellationToken, Task>? preamble, string? alpn, CancellationToken ct)
    {
        var certificate = await Certificates.GetAsync(ct).ConfigureAwait(false);
        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    await tcp.ConnectAsync(Upstream.Host, Upstream.Port, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    throw new FerryClientException($"cannot reach the Ferry proxy at {Upstream} ({e.Message})", e);
                }
            }

            var network = new NetworkStream(tcp, ownsSocket: true);
            if (preamble is not null)
            {
                await preamble(network, ct).ConfigureAwait(false);
            }

            string? trustFailure = null;
            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = Upstream.Host,
                    ClientCertificates = [certificate],
                    LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                    RemoteCertificateValidationCallback = UpstreamTrust.Callback(f => trustFailure = f, HostRole.Proxy),
                    ApplicationProtocols = alpn is null ? null : [new SslApplicationProtocol(alpn)],
                }, ct).ConfigureAwait(false);
            }
            catch (System.Security.Authentication.AuthenticationException e)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw new FerryClientException(trustFailure ?? $"TLS with the Ferry proxy at {Upstream} failed ({e.Message})", e);
            }

            return tls;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Copies both ways until one side ends, then lets the other drain briefly and closes both.</summary>
    protected static async Task RelayAsync(Stream local, Stream upstream, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var up = CopyAsync(local, upstream, linked.Token);
        var down = CopyAsync(upstream, local, linked.Token);
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        if (first == up)
        {
            // The client is done; the server's last bytes (e.g. after Terminate) may still be on their way.
            await Task.WhenAny(down, Task.Delay(TimeSpan.FromSeconds(2), ct)).ConfigureAwait(false);
        }

        await linked.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                await to.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // One side closed or the relay is stopping: normal end of a connection.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_accept is not null)
        {
            await _accept.ConfigureAwait(false);
        }

        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(false);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
