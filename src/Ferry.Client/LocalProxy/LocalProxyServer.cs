using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Ferry.Identity;

namespace Ferry.Client;

/// <summary>
/// <c>ferry proxy db</c>: a plain listener for clients that cannot present certificates, on 127.0.0.1 or on a Unix
/// socket in a directory only the user can open; each connection is carried to the Ferry proxy over TLS with the
/// user's routed certificate (see the protocol subclasses). On TCP every other user of the machine can connect too,
/// so the client must first give the per-run secret as its password (<see cref="LocalProxyEndpoint.Secret"/>),
/// checked here before anything goes upstream.
/// </summary>
public abstract class LocalProxyServer : IAsyncDisposable
{
    /// <summary>Connections still authenticating at once; more are closed at accept (a local flood costs nothing upstream).</summary>
    public const int MaxPendingConnections = 32;

    /// <summary>How long a local client has to authenticate.</summary>
    public static readonly TimeSpan AuthenticationTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly byte[]? _secret;
    private Task? _accept;
    private int _pending;
    private int _refused;
    private bool _boundSocketFile;

    protected LocalProxyServer(RoutedCertificateSource certificates, ServerTrust upstreamTrust, ProxyAddress upstream, LocalProxyEndpoint endpoint, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(upstreamTrust);
        ArgumentNullException.ThrowIfNull(endpoint);
        Certificates = certificates;
        UpstreamTrust = upstreamTrust;
        Upstream = upstream;
        Endpoint = endpoint;
        Log = log ?? (_ => { });
        _secret = endpoint.Secret is { Length: > 0 } secret ? System.Text.Encoding.UTF8.GetBytes(secret) : null;
        _listener = endpoint.SocketPath is null
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    }

    /// <summary>Where and how this server listens.</summary>
    public LocalProxyEndpoint Endpoint { get; }

    /// <summary>Whether a client must give the secret as its password.</summary>
    protected bool RequiresPassword => _secret is not null;

    /// <summary>Connections refused for a missing or wrong password (or over <see cref="MaxPendingConnections"/>).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>The secret's bytes (empty when none is asked), to compute what a client's answer must be.</summary>
    protected ReadOnlySpan<byte> Secret => _secret;

    /// <summary>Checks a password a client gave, in constant time; a wrong one is counted and logged (never the password itself).</summary>
    protected bool CheckPassword(ReadOnlySpan<byte> password, string user) =>
        Admit(_secret is null || System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(password, _secret), !password.IsEmpty, user);

    /// <summary>Counts and logs a refusal when <paramref name="matches"/> is false; returns it.</summary>
    protected bool Admit(bool matches, bool passwordGiven, string user)
    {
        if (matches)
        {
            return true;
        }

        Interlocked.Increment(ref _refused);
        Log($"refused a connection for database user \"{Printable(user)}\": {(passwordGiven ? "wrong password" : "no password")} (the password is the secret `ferry proxy db` printed when it started)");
        return false;
    }

    private static string Printable(string s) => new([.. s.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);

    protected RoutedCertificateSource Certificates { get; }

    protected ServerTrust UpstreamTrust { get; }

    protected ProxyAddress Upstream { get; }

    protected Action<string> Log { get; }

    /// <summary>The bound local port (after <see cref="Start"/>; on a Unix socket, the port in its name).</summary>
    public int Port => _listener.LocalEndPoint is IPEndPoint ip ? ip.Port : Endpoint.Port;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>
    /// Binds 127.0.0.1:port, or the Unix socket (0600, in a 0700 directory it creates when missing), and starts
    /// accepting. An in-use port or socket, or a directory other users can open, fails here with a clear message.
    /// </summary>
    public void Start()
    {
        if (Endpoint.SocketPath is { } path)
        {
            BindUnixSocket(path);
        }
        else
        {
            try
            {
                _listener.Bind(new IPEndPoint(IPAddress.Loopback, Endpoint.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new FerryClientException($"port {Endpoint.Port} on 127.0.0.1 is already in use: pick another with --port", e);
            }
        }

        _listener.Listen(128);
        _accept = AcceptLoopAsync(_stop.Token);
    }

    private void BindUnixSocket(string path)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(path) > 107)
        {
            throw new FerryClientException($"the socket path {path} is longer than the 107 bytes a Unix socket name may have: pick a shorter --socket directory");
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, SecureFile.OwnerOnlyDirectory);
        }

        var mode = File.GetUnixFileMode(dir);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            throw new FerryClientException($"{dir} is open to other users (mode {Convert.ToString((int)mode, 8)}): pick a directory only you can open for --socket, or run `chmod 700 {dir}`");
        }

        if (File.Exists(path))
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new FerryClientException($"{path} is in use by another process: stop it or pick another --socket directory");
            }
            catch (SocketException)
            {
                File.Delete(path); // left behind by a process that ended
            }
        }

        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _boundSocketFile = true;
        File.SetUnixFileMode(path, SecureFile.OwnerOnly);
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(ct).ConfigureAwait(false);
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
            if (socket.ProtocolType == ProtocolType.Tcp)
            {
                socket.NoDelay = true;
            }

            if (Interlocked.Increment(ref _pending) > MaxPendingConnections)
            {
                Interlocked.Decrement(ref _pending);
                Interlocked.Increment(ref _refused);
                Log($"refused a connection: {MaxPendingConnections} connections are already authenticating");
                socket.Dispose();
                continue;
            }

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
        var pending = 1;
        void Authenticated()
        {
            if (Interlocked.Exchange(ref pending, 0) == 1)
            {
                Interlocked.Decrement(ref _pending);
            }
        }

        try
        {
            await HandleAsync(local, Authenticated, ct).ConfigureAwait(false);
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
        finally
        {
            Authenticated();
        }
    }

    /// <summary>
    /// Serves one local connection until either side closes; calls <paramref name="authenticated"/> once the client
    /// proved it knows the secret (or needs not), before anything goes upstream.
    /// </summary>
    protected abstract Task HandleAsync(NetworkStream local, Action authenticated, CancellationToken ct);

    /// <summary>A token that also ends after <see cref="AuthenticationTimeout"/>: the time a client has to authenticate.</summary>
    protected static CancellationTokenSource AuthenticationDeadline(CancellationToken ct)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(AuthenticationTimeout);
        return deadline;
    }

    /// <summary>Tells the local client why it cannot go on, in its protocol when possible.</summary>
    protected virtual Task RefuseAsync(NetworkStream local, string message, CancellationToken ct) => Task.CompletedTask;

    /// <summary>TCP to the proxy, <paramref name="preamble"/> in plain text, then TLS with the routed certificate.</summary>
    protected async Task<SslStream> ConnectUpstreamAsync(Func<NetworkStream, CancellationToken, Task>? preamble, string? alpn, CancellationToken ct)
    {
        var certificate = await Certificates.GetAsync(ct).ConfigureAwait(false);
        return await FerryProxyConnector.ConnectAsync(Upstream, UpstreamTrust, certificate, preamble, alpn, ct).ConfigureAwait(false);
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
        _listener.Dispose();
        if (_boundSocketFile && Endpoint.SocketPath is { } path)
        {
            SecureFile.Delete(path);
        }

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
