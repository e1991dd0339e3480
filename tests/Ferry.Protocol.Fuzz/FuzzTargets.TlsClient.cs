using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity.Tls.OpenSsl;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// The agent's TLS client (<see cref="OpenSslStream"/>: OpenSSL driven through LibraryImport, with Ferry's BIO
/// callbacks, buffers and locking) against a real TLS server, through a relay that the input turns hostile: it
/// splits the server's bytes at chosen places, flips chosen bytes, and cuts the connection at a chosen point. Each run
/// is a handshake, the server sending data and the client echoing it back. Allowed outcomes: the data arrives intact,
/// or the connection fails with <see cref="AuthenticationException"/>, <see cref="IOException"/> or (when a flipped
/// length leaves both ends waiting) the run's cancellation. A crash, an exception of another type, data that differs
/// from what the server sent, or a read that ignores its cancellation is a finding.
/// </summary>
internal static partial class FuzzTargets
{
    private static readonly X509Certificate2 TlsFuzzServer = TlsFuzzCertificate("CN=server.fuzz", "server.fuzz");
    private static readonly X509Certificate2 TlsFuzzClient = TlsFuzzCertificate("CN=client.fuzz", null);

    private static void TlsClientStream(byte[] data) => TlsClientStreamAsync(data).GetAwaiter().GetResult();

    private static async Task TlsClientStreamAsync(byte[] data)
    {
        // The input: [protocol (bit 0: TLS 1.2, bit 1: ALPN both sides, as agent tunnels use)][payload length / 64]
        // [then 4-byte edits: kind, offset (u16), value].
        var tls12 = data.Length > 0 && (data[0] & 1) == 1;
        List<SslApplicationProtocol>? alpn = data.Length > 0 && (data[0] & 2) == 2 ? [new SslApplicationProtocol("ferry-tunnel")] : null;
        var payload = RandomNumberGenerator.GetBytes(1 + (data.Length > 1 ? data[1] : 7) * 64);
        var edits = Edits(data);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var relayListener = new TcpListener(IPAddress.Loopback, 0);
        relayListener.Start();
        using var run = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(run.Token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = TlsFuzzServer,
                EnabledSslProtocols = tls12 ? SslProtocols.Tls12 : SslProtocols.Tls13,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, c, _, _) => c is not null,
                ApplicationProtocols = alpn,
            }, run.Token);
            await ssl.WriteAsync(payload, run.Token);
            var echo = new byte[payload.Length];
            await ssl.ReadExactlyAsync(echo, run.Token);
        });

        var relay = RelayAsync(relayListener, listener, [], edits, run.Token);

        // The client side; a read that does not end by the run's cancellation shows as a TimeoutException (a finding).
        await ClientAsync().WaitAsync(TimeSpan.FromSeconds(15));

        // Both helpers end once the client is gone; a stuck one is a harness problem, not a finding, but must not pile up.
        listener.Stop();
        relayListener.Stop();
        await Task.WhenAny(Task.WhenAll(Quiet(server), Quiet(relay)), Task.Delay(TimeSpan.FromSeconds(5)));

        async Task ClientAsync()
        {
            var tcp = new TcpClient();
            try
            {
                await tcp.ConnectAsync((IPEndPoint)relayListener.LocalEndpoint, run.Token);
                await using var client = await OpenSslStream.ConnectAsync(tcp.GetStream(), OpenSslContext.ForClient(TlsFuzzClient), "server.fuzz", (_, _) => null, run.Token, alpn);
                if (alpn is not null && client.NegotiatedApplicationProtocol != alpn[0])
                {
                    throw new InvalidOperationException("the TLS client accepted a connection without the protocol it asked for");
                }
                var got = new byte[payload.Length];
                var at = 0;
                while (at < got.Length)
                {
                    if (at % 2 == 0)
                    {
                        _ = await client.ReadAsync(Memory<byte>.Empty, run.Token);
                    }
                    var n = await client.ReadAsync(got.AsMemory(at, Math.Min(got.Length - at, 1000)), run.Token);
                    if (n == 0)
                    {
                        throw new IOException("ended early");
                    }
                    at += n;
                }
                if (!got.AsSpan().SequenceEqual(payload))
                {
                    throw new InvalidOperationException("the TLS client delivered data the server did not send");
                }
                await client.WriteAsync(got, run.Token);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
            {
                // a refused or broken connection: what a hostile relay should get
            }
            finally
            {
                tcp.Dispose();
            }
        }
    }

    /// <summary>
    /// The proxy's side: <see cref="OpenSslStream.AcceptAsync"/> (what every database client on the internet reaches
    /// first) against either the input itself as a client's first bytes (odd first byte), or a real .NET TLS client
    /// through the hostile relay, which now edits the client's bytes. The server must end each connection with
    /// <see cref="AuthenticationException"/>, <see cref="IOException"/> or the run's cancellation, or echo intact data.
    /// </summary>
    private static void TlsServerStream(byte[] data) => TlsServerStreamAsync(data).GetAwaiter().GetResult();

    private static async Task TlsServerStreamAsync(byte[] data)
    {
        var raw = data.Length > 0 && (data[0] & 1) == 1;
        var tls12 = data.Length > 0 && (data[0] & 2) == 2;
        var payload = RandomNumberGenerator.GetBytes(1 + (data.Length > 1 ? data[1] : 7) * 64);
        var edits = raw ? [] : Edits(data);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var relayListener = new TcpListener(IPAddress.Loopback, 0);
        relayListener.Start();
        using var run = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var context = OpenSslContext.ForServer(TlsFuzzServerContext);

        var client = Task.Run(async () =>
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync((IPEndPoint)relayListener.LocalEndpoint, run.Token);
            if (raw)
            {
                await tcp.Client.SendAsync(data.AsMemory(1), SocketFlags.None, run.Token);
                tcp.Client.Shutdown(SocketShutdown.Send);
                await tcp.Client.ReceiveAsync(new byte[64], SocketFlags.None, run.Token);
                return;
            }
            await using var ssl = new SslStream(tcp.GetStream());
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "server.fuzz",
                EnabledSslProtocols = tls12 ? SslProtocols.Tls12 : SslProtocols.Tls13,
                ApplicationProtocols = [new SslApplicationProtocol("postgresql")],
                ClientCertificates = [TlsFuzzClient],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, run.Token);
            await ssl.WriteAsync(payload, run.Token);
            var echo = new byte[payload.Length];
            await ssl.ReadExactlyAsync(echo, run.Token);
        });

        var relay = RelayAsync(relayListener, listener, edits, [], run.Token);

        await ServerAsync().WaitAsync(TimeSpan.FromSeconds(15));
        listener.Stop();
        relayListener.Stop();
        await Task.WhenAny(Task.WhenAll(Quiet(client), Quiet(relay)), Task.Delay(TimeSpan.FromSeconds(5)));

        async Task ServerAsync()
        {
            try
            {
                var socket = await listener.AcceptSocketAsync(run.Token);
                await using var tls = await OpenSslStream.AcceptAsync(new NetworkStream(socket, ownsSocket: true), default, context,
                    [new SslApplicationProtocol("postgresql")], run.Token);
                var got = new byte[payload.Length];
                var at = 0;
                while (at < got.Length)
                {
                    _ = await tls.ReadAsync(Memory<byte>.Empty, run.Token);
                    var n = await tls.ReadAsync(got.AsMemory(at), run.Token);
                    if (n == 0)
                    {
                        throw new IOException("ended early");
                    }
                    at += n;
                }
                if (!got.AsSpan().SequenceEqual(payload))
                {
                    throw new InvalidOperationException("the TLS server delivered data the client did not send");
                }
                await tls.WriteAsync(got, run.Token);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
            {
                // a refused or broken connection: what a hostile client should get
            }
        }
    }

    private static readonly SslStreamCertificateContext TlsFuzzServerContext =
        SslStreamCertificateContext.Create(TlsFuzzServer, additionalCertificates: null, offline: true);

    /// <summary>The input's edits after its first two bytes: 4 bytes each (kind: flip, split or cut; offset, u16; value), at most 16.</summary>
    private static List<(int Kind, int Offset, byte Value)> Edits(byte[] data)
    {
        var edits = new List<(int Kind, int Offset, byte Value)>();
        for (var i = 2; i + 3 < data.Length && edits.Count < 16; i += 4)
        {
            edits.Add((data[i] % 3, data[i + 1] | (data[i + 2] << 8), data[i + 3]));
        }
        return edits;
    }

    /// <summary>The hostile relay: one connection from the client's side to the server's, each direction with its edits.</summary>
    private static Task RelayAsync(TcpListener clientSide, TcpListener serverSide, List<(int Kind, int Offset, byte Value)> up,
        List<(int Kind, int Offset, byte Value)> down, CancellationToken ct) => Task.Run(async () =>
    {
        using var fromClient = await clientSide.AcceptSocketAsync(ct);
        using var toServer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await toServer.ConnectAsync((IPEndPoint)serverSide.LocalEndpoint, ct);
        var upward = PumpAsync(fromClient, toServer, up, ct);
        var downward = PumpAsync(toServer, fromClient, down, ct);
        await Task.WhenAny(upward, downward);
        fromClient.Close();
        toServer.Close();
        await Task.WhenAll(Quiet(upward), Quiet(downward));
    });

    private static async Task PumpAsync(Socket from, Socket to, List<(int Kind, int Offset, byte Value)> edits, CancellationToken ct)
    {
        var buffer = new byte[4096];
        var passed = 0;
        while (true)
        {
            var n = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0)
            {
                return;
            }
            var start = 0;
            foreach (var (kind, offset, value) in edits)
            {
                if (offset < passed || offset >= passed + n)
                {
                    continue;
                }
                var at = offset - passed;
                switch (kind)
                {
                    case 0: // flip
                        buffer[at] ^= value == 0 ? (byte)1 : value;
                        break;
                    case 1: // split here
                        await to.SendAsync(buffer.AsMemory(start, at - start), SocketFlags.None, ct);
                        start = at;
                        break;
                    default: // cut the connection here
                        await to.SendAsync(buffer.AsMemory(start, at - start), SocketFlags.None, ct);
                        return;
                }
            }
            await to.SendAsync(buffer.AsMemory(start, n - start), SocketFlags.None, ct);
            passed += n;
        }
    }

    private static async Task Quiet(Task t)
    {
        try
        {
            await t;
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static X509Certificate2 TlsFuzzCertificate(string subject, string? dnsName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dnsName is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dnsName);
            request.CertificateExtensions.Add(san.Build());
        }
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
