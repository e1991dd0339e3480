using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tls.OpenSsl;

/// <summary>
/// A TLS connection (client or server side) driven through OpenSSL directly, over a connected socket. What it saves against
/// <c>SslStream</c>: OpenSSL's two ~16 KiB record buffers are freed once a connection has sat idle (the idle sweep,
/// <see cref="Sweep"/>; <c>SslStream</c> keeps them for the connection's life), the SSL_CTX is shared
/// (<see cref="OpenSslContext"/>), and an idle connection holds no receive or send buffer: ciphertext passes
/// through buffers rented for the read or write at hand. Reads of zero bytes wait for data without a buffer, as
/// <c>SslStream</c>'s do.
/// <para>
/// OpenSSL reads and writes ciphertext through a BIO whose two callbacks copy from the buffer just received and into
/// the buffer about to be sent; every OpenSSL call on a connection happens under its lock on the calling thread, which
/// the callbacks find through a thread-static. A read that makes OpenSSL answer the peer (a TLS 1.3 key update) sends
/// that answer; sends are serialised so records leave in the order OpenSSL produced them.
/// </para>
/// </summary>
public sealed class OpenSslStream : Stream
{
    private const int ReceiveSize = 32 * 1024;

    [ThreadStatic]
    private static OpenSslStream? t_current;

    private static readonly nint Bio = CreateBioMethod();

    private readonly NetworkStream _network;
    private readonly Socket _socket;
    private readonly Lock _sslLock = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private nint _ssl;
    private byte[]? _in;
    private int _inStart;
    private int _inEnd;
    private bool _eof;

    // OpenSSL may hold plaintext not yet read: the last SSL_read filled all it was given, or a peek found some.
    private bool _plaintextPending;
    private int _eofReported;
    private byte[]? _out;
    private int _outLength;
    private int _disposed;
    private int _receiving;

    // Idle sweep: waiting for the socket with nothing received since sweep number _idleSince.
    private volatile bool _waiting;
    private long _idleSince;
    private bool _buffersFreed;

    private OpenSslStream(NetworkStream network, nint ssl)
    {
        _network = network;
        _socket = network.Socket;
        _ssl = ssl;
        lock (s_open)
        {
            s_open.Add(this);
            s_sweeper ??= new Timer(static _ => Sweep(), null, SweepInterval, SweepInterval);
        }
    }

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private static readonly HashSet<OpenSslStream> s_open = [];
    private static Timer? s_sweeper;
    private static long s_sweeps;

    /// <summary>How many connections' record buffers the idle sweep has freed (for tests and metrics).</summary>
    internal static long BuffersFreed;

    /// <summary>
    /// Once a second: OpenSSL's two ~16 KiB record buffers of every connection that is waiting for its peer (and began
    /// to wait before this sweep) are freed (SSL_free_buffers; OpenSSL allocates them again for the next record), and
    /// when that freed much, glibc gives the pages back (malloc_trim). So a connection that wakes now and then (an agent
    /// tunnel's heartbeat every few seconds) holds them for half a second on average, not a second and a half as when
    /// the wait had to span a whole period; a busy connection pays one free and one allocation a second, where freeing
    /// them per record (SSL_MODE_RELEASE_BUFFERS) cost 4-14 us of CPU per transaction in each process.
    /// </summary>
    private static void Sweep()
    {
        try
        {
            SweepOnce();
        }
        catch (Exception e)
        {
            // A timer callback must not throw (it would end the process); the next sweep tries again.
            Interlocked.Increment(ref SweepFailures);
            try
            {
                IdleSweepFailed?.Invoke(e);
            }
            catch (Exception)
            {
                // a failing observer must not end the sweep either
            }
        }
    }

    /// <summary>Sweeps that failed (none expected: the calls involved do not fail on a live connection).</summary>
    internal static long SweepFailures;

    /// <summary>Connections whose idle record buffers the sweep has freed, since the process started (for metrics).</summary>
    public static long IdleBuffersFreed => Interlocked.Read(ref BuffersFreed);

    /// <summary>Idle sweeps that failed, since the process started (for metrics); each failure is also raised as <see cref="IdleSweepFailed"/>.</summary>
    public static long IdleSweepFailures => Interlocked.Read(ref SweepFailures);

    /// <summary>Raised (on the sweep's timer thread) when an idle sweep fails; the next one runs a second later all the same.</summary>
    public static event Action<Exception>? IdleSweepFailed;

    private static void SweepOnce()
    {
        OpenSslStream[] open;
        lock (s_open)
        {
            open = [.. s_open];
        }
        var sweep = Interlocked.Increment(ref s_sweeps);
        var freed = 0;
        foreach (var s in open)
        {
            if (!s._waiting || s._idleSince >= sweep || s._buffersFreed)
            {
                continue;
            }
            lock (s._sslLock)
            {
                if (s._ssl != 0 && s._waiting && LibSsl.SSL_free_buffers(s._ssl) == 1)
                {
                    s._buffersFreed = true;
                    freed++;
                }
            }
        }
        if (freed > 0)
        {
            Interlocked.Add(ref BuffersFreed, freed);
        }
        if (freed >= 32)
        {
            NativeHeap.Trim();
        }
    }

    /// <summary>Bytes of receive and send buffers this connection holds right now (none while it is idle).</summary>
    internal int BufferBytesHeld
    {
        get
        {
            lock (_sslLock)
            {
                return (_in?.Length ?? 0) + (_out?.Length ?? 0);
            }
        }
    }

    /// <summary>Whether the idle sweep freed OpenSSL's record buffers and nothing has run on the connection since.</summary>
    internal bool RecordBuffersFreed
    {
        get
        {
            lock (_sslLock)
            {
                return _buffersFreed;
            }
        }
    }

    /// <summary>The negotiated protocol version ("TLSv1.3").</summary>
    public string Protocol
    {
        get
        {
            lock (_sslLock)
            {
                return _ssl == 0 ? "" : Marshal.PtrToStringAnsi(LibSsl.SSL_get_version(_ssl)) ?? "";
            }
        }
    }

    /// <summary>
    /// TLS client handshake over <paramref name="network"/> (which the stream then owns) presenting
    /// <paramref name="context"/>'s certificate, with SNI <paramref name="serverName"/> unless it is an IP address.
    /// <paramref name="checkServer"/> gets the server's certificate and the chain it sent (leaf first; empty when it
    /// sent none) before any application data flows; a non-null answer fails the connection with that message.
    /// <para>
    /// <paramref name="applicationProtocols"/>, when given, are offered by ALPN; a server that takes none of them is
    /// refused (the connection fails with <see cref="AuthenticationException"/>).
    /// </para>
    /// </summary>
    /// <exception cref="AuthenticationException">The handshake failed, <paramref name="checkServer"/> refused the server or it took none of <paramref name="applicationProtocols"/>.</exception>
    public static async Task<OpenSslStream> ConnectAsync(NetworkStream network, OpenSslContext context, string serverName,
        Func<X509Certificate2?, X509Certificate2Collection, string?> checkServer, CancellationToken ct,
        IReadOnlyList<SslApplicationProtocol>? applicationProtocols = null)
    {
        if (context.IsServer)
        {
            throw new ArgumentException("a server context", nameof(context));
        }
        var stream = new OpenSslStream(network, NewSsl(context, serverName));
        try
        {
            if (applicationProtocols is { Count: > 0 })
            {
                stream.OfferApplicationProtocols(applicationProtocols);
            }
            await stream.HandshakeAsync(ct);
            if (applicationProtocols is { Count: > 0 } && !applicationProtocols.Contains(stream.NegotiatedApplicationProtocol))
            {
                throw new AuthenticationException($"the server took none of the offered application protocols ({string.Join(", ", applicationProtocols)})");
            }
            var (leaf, sent) = stream.PeerChain();
            try
            {
                if (checkServer(leaf, sent) is { } refusal)
                {
                    throw new AuthenticationException(refusal);
                }
            }
            finally
            {
                foreach (var c in sent)
                {
                    c.Dispose();
                }
            }
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// TLS server handshake over <paramref name="network"/> (which the stream then owns), after
    /// <paramref name="prefix"/>: bytes of the ClientHello already read from it. Asks for a client certificate and
    /// accepts any or none: <see cref="RemoteCertificateData"/> is the caller's to verify before it reads. ALPN: the first of
    /// <paramref name="applicationProtocols"/> (in that order) that the client offered; none when they share none.
    /// </summary>
    /// <exception cref="AuthenticationException">The handshake failed.</exception>
    public static async Task<OpenSslStream> AcceptAsync(NetworkStream network, ReadOnlyMemory<byte> prefix, OpenSslContext context,
        IReadOnlyList<SslApplicationProtocol>? applicationProtocols, CancellationToken ct)
    {
        if (!context.IsServer)
        {
            throw new ArgumentException("a client context", nameof(context));
        }
        var stream = new OpenSslStream(network, NewSsl(context, null)) { _applicationProtocols = applicationProtocols };
        try
        {
            if (!prefix.IsEmpty)
            {
                var input = stream._in = ArrayPool<byte>.Shared.Rent(Math.Max(ReceiveSize, prefix.Length));
                prefix.Span.CopyTo(input);
                stream._inEnd = prefix.Length;
            }
            await stream.HandshakeAsync(ct);
            stream.RemoteCertificateData = stream.PeerCertificate();
            stream._applicationProtocols = null;
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Server side: the client's certificate (DER), empty when it sent none. Kept as bytes, not an
    /// <see cref="X509Certificate2"/>: the session verifies it once, and a parsed certificate held for a connection's life
    /// costs a few KiB of native memory on top of the copy inside OpenSSL.
    /// </summary>
    public ReadOnlyMemory<byte> RemoteCertificateData { get; private set; }

    /// <summary>The protocol chosen by ALPN (default when none was).</summary>
    public SslApplicationProtocol NegotiatedApplicationProtocol { get; private set; }

    /// <summary>Client side: the ALPN list to offer (each name 1-255 bytes), set before the handshake.</summary>
    private unsafe void OfferApplicationProtocols(IReadOnlyList<SslApplicationProtocol> protocols)
    {
        var wire = new List<byte>();
        foreach (var protocol in protocols)
        {
            var name = protocol.Protocol.Span;
            if (name.Length is 0 or > 255)
            {
                throw new ArgumentException("an application protocol name of 1-255 bytes", nameof(protocols));
            }
            wire.Add((byte)name.Length);
            wire.AddRange(name);
        }
        var bytes = wire.ToArray();
        lock (_sslLock)
        {
            fixed (byte* p = bytes)
            {
                if (LibSsl.SSL_set_alpn_protos(_ssl, p, (uint)bytes.Length) != 0)
                {
                    throw new AuthenticationException(LibSsl.TakeErrors("the application protocols were not accepted"));
                }
            }
        }
    }

    /// <summary>After the handshake: the protocol ALPN chose, as the server sent it (client) or picked it (server).</summary>
    private unsafe SslApplicationProtocol SelectedApplicationProtocol()
    {
        lock (_sslLock)
        {
            byte* data = null;
            uint length = 0;
            LibSsl.SSL_get0_alpn_selected(_ssl, &data, &length);
            return data == null || length == 0 ? default : new SslApplicationProtocol(new ReadOnlySpan<byte>(data, (int)length).ToArray());
        }
    }

    private IReadOnlyList<SslApplicationProtocol>? _applicationProtocols;

    private static nint NewSsl(OpenSslContext context, string? serverName)
    {
        var added = false;
        context.DangerousAddRef(ref added);
        try
        {
            var ssl = LibSsl.SSL_new(context.DangerousGetHandle());
            if (ssl == 0)
            {
                throw new AuthenticationException(LibSsl.TakeErrors("SSL_new failed"));
            }
            var bio = LibSsl.BIO_new(Bio);
            if (bio == 0)
            {
                LibSsl.SSL_free(ssl);
                throw new AuthenticationException(LibSsl.TakeErrors("BIO_new failed"));
            }
            LibSsl.SSL_set_bio(ssl, bio, bio); // one BIO both ways: SSL_set_bio takes the second reference itself
            if (context.IsServer)
            {
                LibSsl.SSL_set_accept_state(ssl);
            }
            else
            {
                LibSsl.SSL_set_connect_state(ssl);
            }
            if (serverName is not null && !System.Net.IPAddress.TryParse(serverName, out _) && serverName.Length is > 0 and < 256)
            {
                var name = Marshal.StringToCoTaskMemUTF8(serverName);
                try
                {
                    LibSsl.SSL_ctrl(ssl, LibSsl.SSL_CTRL_SET_TLSEXT_HOSTNAME, LibSsl.TLSEXT_NAMETYPE_host_name, name);
                }
                finally
                {
                    Marshal.FreeCoTaskMem(name);
                }
            }
            return ssl;
        }
        finally
        {
            if (added)
            {
                context.DangerousRelease();
            }
        }
    }

    private async Task HandshakeAsync(CancellationToken ct)
    {
        while (true)
        {
            int result, error;
            string? failure = null;
            lock (_sslLock)
            {
                Enter();
                try
                {
                    result = LibSsl.SSL_do_handshake(_ssl);
                    error = result == 1 ? LibSsl.SSL_ERROR_NONE : LibSsl.SSL_get_error(_ssl, result);
                    if (result != 1 && error != LibSsl.SSL_ERROR_WANT_READ)
                    {
                        failure = LibSsl.TakeErrors(_eof ? "the server closed the connection during the TLS handshake" : $"TLS handshake failed (SSL error {error})");
                    }
                }
                finally
                {
                    t_current = null;
                }
            }
            await SendPendingAsync(ct);
            if (failure is not null)
            {
                throw new AuthenticationException(failure);
            }
            if (result == 1)
            {
                NegotiatedApplicationProtocol = SelectedApplicationProtocol();
                return;
            }
            if (!await ReceiveAsync(ct))
            {
                throw new AuthenticationException("the server closed the connection during the TLS handshake");
            }
        }
    }

    private unsafe (X509Certificate2? Leaf, X509Certificate2Collection Sent) PeerChain()
    {
        var sent = new X509Certificate2Collection();
        lock (_sslLock)
        {
            var stack = LibSsl.SSL_get_peer_cert_chain(_ssl);
            var count = stack == 0 ? 0 : LibSsl.OPENSSL_sk_num(stack);
            for (var i = 0; i < count; i++)
            {
                var x509 = LibSsl.OPENSSL_sk_value(stack, i);
                var der = Encode(x509);
                sent.Add(X509CertificateLoader.LoadCertificate(der));
            }
        }
        return (sent.Count > 0 ? sent[0] : null, sent);
    }

    private unsafe byte[] PeerCertificate()
    {
        lock (_sslLock)
        {
            var x509 = LibSsl.SSL_get1_peer_certificate(_ssl);
            if (x509 == 0)
            {
                return [];
            }
            try
            {
                return Encode(x509);
            }
            finally
            {
                LibSsl.X509_free(x509);
            }
        }
    }

    private static unsafe byte[] Encode(nint x509)
    {
        var length = LibSsl.i2d_X509(x509, null);
        if (length is <= 0 or > 1024 * 1024)
        {
            throw new AuthenticationException(LibSsl.TakeErrors("the peer's certificate could not be encoded"));
        }
        var der = new byte[length];
        fixed (byte* start = der)
        {
            var cursor = start; // i2d writes at *cursor and moves it on
            if (LibSsl.i2d_X509(x509, &cursor) != length)
            {
                throw new AuthenticationException(LibSsl.TakeErrors("the peer's certificate could not be encoded"));
            }
        }
        return der;
    }

    /// <summary>
    /// OpenSSL's ALPN selection for a server context (called inside the handshake, on the thread of the connection
    /// whose handshake it is): the connection's first protocol that the client's list names.
    /// </summary>
    [UnmanagedCallersOnly]
    internal static unsafe int SelectApplicationProtocol(nint ssl, byte** selected, byte* selectedLength, byte* offered, uint offeredLength, nint arg)
    {
        if (t_current is not { _applicationProtocols: { Count: > 0 } ours })
        {
            return LibSsl.SSL_TLSEXT_ERR_NOACK;
        }
        var client = new ReadOnlySpan<byte>(offered, (int)offeredLength);
        foreach (var protocol in ours)
        {
            var name = protocol.Protocol.Span;
            for (var i = 0; i < client.Length;)
            {
                int length = client[i];
                if (i + 1 + length > client.Length)
                {
                    break; // a malformed list: OpenSSL checked it, but never read past it
                }
                if (client.Slice(i + 1, length).SequenceEqual(name))
                {
                    *selected = offered + i + 1;
                    *selectedLength = (byte)length;
                    return LibSsl.SSL_TLSEXT_ERR_OK;
                }
                i += 1 + length;
            }
        }
        return LibSsl.SSL_TLSEXT_ERR_NOACK;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty)
        {
            // Completes when plaintext is here (or the stream ended), holding no buffer while it waits: records
            // without application data (TLS 1.3 session tickets after the handshake) are taken in and waited past.
            while (true)
            {
                if (_in is null && !_plaintextPending && !_eof)
                {
                    // Nothing received is left and OpenSSL holds no plaintext: only the socket can bring more.
                    if (!await ReceiveAsync(cancellationToken))
                    {
                        return 0;
                    }
                }
                var (n, error, failure) = TryRead([], peek: true);
                if (_outLength > 0)
                {
                    await SendPendingAsync(cancellationToken);
                }
                if (n > 0 || error == LibSsl.SSL_ERROR_ZERO_RETURN)
                {
                    return 0;
                }
                if (error != LibSsl.SSL_ERROR_WANT_READ)
                {
                    throw new IOException(failure);
                }
                if (!await ReceiveAsync(cancellationToken))
                {
                    return 0;
                }
            }
        }
        while (true)
        {
            var (n, error, failure) = TryRead(buffer.Span);
            if (_outLength > 0)
            {
                await SendPendingAsync(cancellationToken);
            }
            if (n > 0)
            {
                return n;
            }
            switch (error)
            {
                case LibSsl.SSL_ERROR_ZERO_RETURN:
                    return 0;
                case LibSsl.SSL_ERROR_WANT_READ:
                    if (!await ReceiveAsync(cancellationToken) && _inStart == _inEnd && error == LibSsl.SSL_ERROR_WANT_READ && _eofReported++ > 0)
                    {
                        return 0; // OpenSSL asked for more after the end of the stream was already shown to it
                    }
                    continue;
                default:
                    throw new IOException(failure);
            }
        }
    }

    /// <summary>SSL_read into <paramref name="destination"/>, or with <paramref name="peek"/> SSL_peek of one byte (kept for the next read).</summary>
    private unsafe (int Read, int Error, string? Failure) TryRead(Span<byte> destination, bool peek = false)
    {
        lock (_sslLock)
        {
            ObjectDisposedException.ThrowIf(_ssl == 0, this);
            Enter();
            try
            {
                int n;
                if (peek)
                {
                    byte one;
                    n = LibSsl.SSL_peek(_ssl, &one, 1);
                }
                else
                {
                    fixed (byte* p = destination)
                    {
                        n = LibSsl.SSL_read(_ssl, p, destination.Length);
                    }
                }
                if (n > 0)
                {
                    // SSL_read returns one record's plaintext at most: less than asked for means that record is done,
                    // and without read-ahead OpenSSL has taken no ciphertext beyond it.
                    _plaintextPending = peek || n == destination.Length;
                    return (n, LibSsl.SSL_ERROR_NONE, null);
                }
                _plaintextPending = false;
                var error = LibSsl.SSL_get_error(_ssl, n);
                if (error is LibSsl.SSL_ERROR_WANT_READ or LibSsl.SSL_ERROR_ZERO_RETURN)
                {
                    return (0, error, null); // nothing on the error queue: the next call clears it anyway
                }
                return (0, error, LibSsl.TakeErrors(_eof ? "the connection ended inside a TLS record" : $"TLS read failed (SSL error {error})"));
            }
            finally
            {
                t_current = null;
                ReleaseDrainedInput();
            }
        }
    }

    /// <summary>
    /// Receives more ciphertext into the input buffer; false at the end of the stream. Without a buffer in hand (the
    /// usual case: the last one went back once OpenSSL had taken all of it) it waits for the socket first, so an idle
    /// connection holds none.
    /// </summary>
    private async ValueTask<bool> ReceiveAsync(CancellationToken ct)
    {
        if (_eof)
        {
            return false;
        }
        if (_in is not null)
        {
            lock (_sslLock)
            {
                ReleaseDrainedInput(); // the handshake, or a write, took the last of it
            }
        }
        if (_in is null)
        {
            _idleSince = s_sweeps;
            _waiting = true;
            try
            {
                // A zero-byte receive can complete without data right after a receive that emptied the socket (a
                // readiness left over from that data): then wait once more, so no buffer is held while nothing comes.
                // Two wakes without data in a row may be the end of the stream, which the receive then reports.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct);
                if (_socket.Available == 0)
                {
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct);
                }
            }
            catch (SocketException e)
            {
                throw new IOException(e.Message, e);
            }
            finally
            {
                _waiting = false;
            }
        }
        byte[] input;
        lock (_sslLock)
        {
            input = _in ??= ArrayPool<byte>.Shared.Rent(ReceiveSize);
            if (_inStart == _inEnd)
            {
                _inStart = _inEnd = 0;
            }
            else if (_inEnd == input.Length)
            {
                Buffer.BlockCopy(input, _inStart, input, 0, _inEnd - _inStart);
                _inEnd -= _inStart;
                _inStart = 0;
            }
        }
        int n;
        Volatile.Write(ref _receiving, 1);
        try
        {
            n = await _socket.ReceiveAsync(input.AsMemory(_inEnd), SocketFlags.None, ct);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
        lock (_sslLock)
        {
            if (n == 0)
            {
                _eof = true;
                ReleaseDrainedInput();
                return false;
            }
            _inEnd += n;
        }
        return true;
    }

    private void ReleaseDrainedInput()
    {
        if (_in is { } input && _inStart == _inEnd)
        {
            _in = null;
            _inStart = _inEnd = 0;
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (!buffer.IsEmpty)
        {
            // At most 64 KiB of plaintext per round: four records' ciphertext in the send buffer, then sent.
            var chunk = buffer.Length > 64 * 1024 ? buffer[..(64 * 1024)] : buffer;
            Encrypt(chunk.Span);
            buffer = buffer[chunk.Length..];
            await SendPendingAsync(cancellationToken);
        }
    }

    private unsafe void Encrypt(ReadOnlySpan<byte> plaintext)
    {
        lock (_sslLock)
        {
            ObjectDisposedException.ThrowIf(_ssl == 0, this);
            Enter();
            try
            {
                while (!plaintext.IsEmpty)
                {
                    int n;
                    fixed (byte* p = plaintext)
                    {
                        n = LibSsl.SSL_write(_ssl, p, plaintext.Length);
                    }
                    if (n <= 0)
                    {
                        var error = LibSsl.SSL_get_error(_ssl, n);
                        throw new IOException(LibSsl.TakeErrors($"TLS write failed (SSL error {error})"));
                    }
                    plaintext = plaintext[n..];
                }
            }
            finally
            {
                t_current = null;
            }
        }
    }

    /// <summary>Sends what OpenSSL wrote, in order; whoever holds the send lock sends everything produced so far.</summary>
    private async ValueTask SendPendingAsync(CancellationToken ct)
    {
        if (!_sendLock.Wait(0))
        {
            await _sendLock.WaitAsync(ct);
        }
        try
        {
            while (true)
            {
                byte[]? output;
                int length;
                lock (_sslLock)
                {
                    output = _out;
                    length = _outLength;
                    _out = null;
                    _outLength = 0;
                }
                if (output is null)
                {
                    return;
                }
                try
                {
                    if (length > 0)
                    {
                        await _socket.SendAsync(output.AsMemory(0, length), SocketFlags.None, ct);
                    }
                }
                catch (SocketException e)
                {
                    throw new IOException(e.Message, e);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(output);
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        var sendShutdown = false;
        lock (_sslLock)
        {
            if (_ssl != 0 && !_eof)
            {
                Enter();
                try
                {
                    sendShutdown = LibSsl.SSL_shutdown(_ssl) >= 0; // close_notify into the send buffer
                    LibSsl.ERR_clear_error();
                }
                finally
                {
                    t_current = null;
                }
            }
        }
        if (sendShutdown && _outLength > 0)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await SendPendingAsync(quick.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the peer is gone: nothing to tell it
            }
        }
        await _network.DisposeAsync(); // first: a receive still pending ends before its buffer goes back to the pool
        Release();
        GC.SuppressFinalize(this);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _network.Dispose();
            Release();
        }
        base.Dispose(disposing);
    }

    private void Release()
    {
        lock (s_open)
        {
            s_open.Remove(this);
        }
        lock (_sslLock)
        {
            if (_ssl != 0)
            {
                LibSsl.SSL_free(_ssl);
                _ssl = 0;
            }
            if (_in is { } input)
            {
                _in = null;
                if (Volatile.Read(ref _receiving) == 0)
                {
                    ArrayPool<byte>.Shared.Return(input); // else a receive may still write into it: left to the GC
                }
            }
            if (_out is { } output)
            {
                _out = null;
                ArrayPool<byte>.Shared.Return(output);
            }
        }
    }

    private void Enter()
    {
        LibSsl.ERR_clear_error();
        t_current = this;
        _buffersFreed = false; // whatever runs now may allocate them again
    }

    private unsafe static nint CreateBioMethod()
    {
        nint method;
        fixed (byte* name = "ferry-socket\0"u8)
        {
            method = LibSsl.BIO_meth_new(LibSsl.BIO_get_new_index() | LibSsl.BIO_TYPE_SOURCE_SINK, name);
        }
        if (method == 0)
        {
            throw new AuthenticationException(LibSsl.TakeErrors("BIO_meth_new failed"));
        }
        LibSsl.BIO_meth_set_write(method, &BioWrite);
        LibSsl.BIO_meth_set_read(method, &BioRead);
        LibSsl.BIO_meth_set_ctrl(method, &BioCtrl);
        LibSsl.BIO_meth_set_create(method, &BioCreate);
        return method; // lives as long as the process
    }

    [UnmanagedCallersOnly]
    private static int BioCreate(nint bio)
    {
        LibSsl.BIO_set_init(bio, 1);
        return 1;
    }

    /// <summary>OpenSSL wants ciphertext: from the input buffer, else "retry" (or end of stream).</summary>
    [UnmanagedCallersOnly]
    private unsafe static int BioRead(nint bio, byte* destination, int count)
    {
        LibSsl.BIO_clear_flags(bio, LibSsl.BIO_FLAGS_RWS | LibSsl.BIO_FLAGS_SHOULD_RETRY);
        var s = t_current;
        if (s is null || count <= 0)
        {
            return 0;
        }
        var available = s._inEnd - s._inStart;
        if (available == 0)
        {
            if (s._eof)
            {
                return 0;
            }
            LibSsl.BIO_set_flags(bio, LibSsl.BIO_FLAGS_READ | LibSsl.BIO_FLAGS_SHOULD_RETRY);
            return -1;
        }
        var n = Math.Min(available, count);
        s._in!.AsSpan(s._inStart, n).CopyTo(new Span<byte>(destination, n));
        s._inStart += n;
        return n;
    }

    /// <summary>OpenSSL has ciphertext to send: appended to the send buffer, sent after the call.</summary>
    [UnmanagedCallersOnly]
    private unsafe static int BioWrite(nint bio, byte* source, int count)
    {
        LibSsl.BIO_clear_flags(bio, LibSsl.BIO_FLAGS_RWS | LibSsl.BIO_FLAGS_SHOULD_RETRY);
        var s = t_current;
        if (s is null || count < 0)
        {
            return -1;
        }
        var output = s._out;
        var needed = s._outLength + count;
        if (output is null || output.Length < needed)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 16 * 1024 + 512));
            if (output is not null)
            {
                output.AsSpan(0, s._outLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(output);
            }
            s._out = output = grown;
        }
        new ReadOnlySpan<byte>(source, count).CopyTo(output.AsSpan(s._outLength));
        s._outLength = needed;
        return count;
    }

    [UnmanagedCallersOnly]
    private static long BioCtrl(nint bio, int command, long larg, nint parg)
    {
        var s = t_current;
        return command switch
        {
            LibSsl.BIO_CTRL_FLUSH => 1,
            LibSsl.BIO_CTRL_EOF => s is not null && s._eof && s._inStart == s._inEnd ? 1 : 0,
            LibSsl.BIO_CTRL_PENDING => s is null ? 0 : s._inEnd - s._inStart,
            LibSsl.BIO_CTRL_WPENDING => s is null ? 0 : s._outLength,
            _ => 0,
        };
    }
}
