using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity.Tls.OpenSsl;

namespace Ferry.Identity.Tests;

/// <summary>
/// <see cref="OpenSslStream"/>, the client TLS connection driven through OpenSSL directly, against a real .NET TLS
/// server on loopback (and as a server, against .NET's client): the handshake both ways round (its certificate to the server, the server's to the check),
/// data of every size in both directions at once, zero-byte reads, the peer's close, and no buffers held when idle.
/// </summary>
public sealed class OpenSslStreamTests
{
    private static readonly X509Certificate2 ServerCertificate = SelfSigned("CN=server.test", "server.test", "1.3.6.1.5.5.7.3.1");
    private static readonly X509Certificate2 ClientCertificate = SelfSigned("CN=app", null, "1.3.6.1.5.5.7.3.2");

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task Handshake_PresentsTheClientCertificate_AndHandsTheServersToTheCheck(SslProtocols protocol)
    {
        X509Certificate2? seenByServer = null;
        X509Certificate2? seenByClient = null;
        await using var pair = await Pair.StartAsync(protocol, c => seenByServer = c, (leaf, sent) =>
        {
            seenByClient = leaf is null ? null : X509CertificateLoader.LoadCertificate(leaf.RawData);
            Assert.Single(sent);
            return null;
        });
        Assert.Equal(ClientCertificate.Thumbprint, seenByServer?.Thumbprint);
        Assert.Equal(ServerCertificate.Thumbprint, seenByClient?.Thumbprint);
        Assert.Equal(protocol == SslProtocols.Tls13 ? "TLSv1.3" : "TLSv1.2", pair.Client.Protocol);
    }

    [Fact]
    public async Task ARefusalOfTheCheck_FailsTheConnection_WithItsMessage_BeforeAnyData()
    {
        var e = await Assert.ThrowsAsync<AuthenticationException>(() => Pair.StartAsync(SslProtocols.Tls13, null, (_, _) => "not the server we want"));
        Assert.Equal("not the server we want", e.Message);
    }

    [Fact]
    public async Task AServerWithoutTls_FailsTheHandshake_WithAnAuthenticationError()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var s = await listener.AcceptSocketAsync();
            await s.SendAsync("HTTP/1.0 400 Bad Request\r\n\r\n"u8.ToArray());
            s.Shutdown(SocketShutdown.Both);
        });
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await Assert.ThrowsAsync<AuthenticationException>(() =>
            OpenSslStream.ConnectAsync(tcp.GetStream(), OpenSslContext.ForClient(ClientCertificate), "server.test", (_, _) => null, CancellationToken.None));
        await server;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16 * 1024 - 1)]
    [InlineData(16 * 1024 + 1)]
    [InlineData(300 * 1024)]
    [InlineData(3 * 1024 * 1024 + 7)]
    public async Task Data_CrossesBothWays_AtOnce_ByteForByte(int size)
    {
        await using var pair = await Pair.StartAsync(SslProtocols.Tls13);
        var up = RandomNumberGenerator.GetBytes(size);
        var down = RandomNumberGenerator.GetBytes(size);
        var serverGot = new byte[size];
        var clientGot = new byte[size];
        // Both sides write and read at the same time: the client's reads and writes share one SSL object.
        await Task.WhenAll(
            Task.Run(async () => await pair.Client.WriteAsync(up)),
            Task.Run(async () => await ReadInPiecesAsync(pair.Client, clientGot)),
            Task.Run(async () => await pair.Server.WriteAsync(down)),
            Task.Run(async () => await pair.Server.ReadExactlyAsync(serverGot)));
        Assert.Equal(up, serverGot);
        Assert.Equal(down, clientGot);
        Assert.Equal(0, pair.Client.BufferBytesHeld);
    }

    [Fact]
    public async Task AZeroByteRead_WaitsForData_WithoutHoldingABuffer()
    {
        await using var pair = await Pair.StartAsync(SslProtocols.Tls13);
        var wait = pair.Client.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);
        Assert.Equal(0, pair.Client.BufferBytesHeld);
        await pair.Server.WriteAsync("hello"u8.ToArray());
        Assert.Equal(0, await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        var got = new byte[5];
        await pair.Client.ReadExactlyAsync(got);
        Assert.Equal("hello"u8.ToArray(), got);
        Assert.Equal(0, pair.Client.BufferBytesHeld);
    }

    [Fact]
    public async Task AConnectionWaitingForItsPeer_HasItsRecordBuffersFreed_AndCarriesOnAfterwards()
    {
        await using var pair = await Pair.StartAsync(SslProtocols.Tls13);
        await pair.Server.WriteAsync("one"u8.ToArray());
        var got = new byte[3];
        await pair.Client.ReadExactlyAsync(got);
        Assert.False(pair.Client.RecordBuffersFreed);

        var wait = pair.Client.ReadAsync(Memory<byte>.Empty).AsTask(); // idle: waiting for the server
        for (var i = 0; i < 100 && !pair.Client.RecordBuffersFreed; i++)
        {
            await Task.Delay(100); // the sweep runs once a second and frees a connection that was already waiting
        }
        Assert.True(pair.Client.RecordBuffersFreed);

        var data = RandomNumberGenerator.GetBytes(40_000);
        await pair.Server.WriteAsync(data);
        Assert.Equal(0, await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        var back = new byte[data.Length];
        await pair.Client.ReadExactlyAsync(back);
        Assert.Equal(data, back);
        await pair.Client.WriteAsync(data);
        await pair.Server.ReadExactlyAsync(back);
        Assert.Equal(data, back);
        Assert.False(pair.Client.RecordBuffersFreed);
    }

    [Fact]
    public async Task SmallReads_TakeARecordInPieces()
    {
        await using var pair = await Pair.StartAsync(SslProtocols.Tls12);
        var data = RandomNumberGenerator.GetBytes(10_000);
        await pair.Server.WriteAsync(data);
        var got = new byte[data.Length];
        for (var i = 0; i < got.Length; i += 7)
        {
            await pair.Client.ReadExactlyAsync(got.AsMemory(i, Math.Min(7, got.Length - i)));
        }
        Assert.Equal(data, got);
    }

    [Fact]
    public async Task ThePeersClose_EndsTheStream()
    {
        await using var pair = await Pair.StartAsync(SslProtocols.Tls13);
        await pair.Server.WriteAsync("bye"u8.ToArray());
        await pair.Server.ShutdownAsync();
        await pair.Server.DisposeAsync();
        var got = new byte[3];
        await pair.Client.ReadExactlyAsync(got);
        Assert.Equal(0, await pair.Client.ReadAsync(new byte[10]));
    }

    [Fact]
    public async Task Dispose_SendsCloseNotify_SoThePeerSeesACleanEnd()
    {
        var pair = await Pair.StartAsync(SslProtocols.Tls13);
        await pair.Client.DisposeAsync();
        Assert.Equal(0, await pair.Server.ReadAsync(new byte[10]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        await pair.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pair.Client.ReadAsync(new byte[1]).AsTask());
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 5)]
    [InlineData(false, 1)]
    [InlineData(false, 200)]
    public async Task Accept_TakesTheBytesAlreadyRead_PicksOurFirstProtocolTheClientOffers_AndReportsItsCertificate(bool clientCertificate, int prefixLength)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var context = OpenSslContext.ForServer(SslStreamCertificateContext.Create(ServerCertificate, additionalCertificates: null, offline: true));
        var server = Task.Run(async () =>
        {
            var socket = await listener.AcceptSocketAsync();
            var net = new NetworkStream(socket, ownsSocket: true);
            var prefix = new byte[prefixLength];
            await net.ReadExactlyAsync(prefix); // what the proxy's sniffing already took off the socket
            var tls = await OpenSslStream.AcceptAsync(net, prefix, context, [new SslApplicationProtocol("ferry-mysql"), new SslApplicationProtocol("postgresql")], CancellationToken.None);
            var got = new byte[4];
            await tls.ReadExactlyAsync(got);
            await tls.WriteAsync(got.Reverse().ToArray());
            return tls;
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var client = new SslStream(tcp.GetStream());
        await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "server.test",
            ApplicationProtocols = [new SslApplicationProtocol("http/1.1"), new SslApplicationProtocol("postgresql"), new SslApplicationProtocol("ferry-mysql")],
            ClientCertificates = clientCertificate ? [ClientCertificate] : null,
            RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHash().AsSpan().SequenceEqual(ServerCertificate.GetCertHash()) == true,
        });
        Assert.Equal("ferry-mysql", client.NegotiatedApplicationProtocol.ToString());
        await client.WriteAsync(new byte[] { 1, 2, 3, 4 });
        var answer = new byte[4];
        await client.ReadExactlyAsync(answer);
        Assert.Equal(new byte[] { 4, 3, 2, 1 }, answer);
        await using var accepted = await server;
        Assert.Equal(new SslApplicationProtocol("ferry-mysql"), accepted.NegotiatedApplicationProtocol);
        Assert.Equal(clientCertificate ? ClientCertificate.RawData : [], accepted.RemoteCertificateData.ToArray());
    }

    [Fact]
    public async Task Accept_WithoutACommonProtocol_GoesOnWithoutOne()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var context = OpenSslContext.ForServer(SslStreamCertificateContext.Create(ServerCertificate, additionalCertificates: null, offline: true));
        var server = Task.Run(async () =>
        {
            var socket = await listener.AcceptSocketAsync();
            return await OpenSslStream.AcceptAsync(new NetworkStream(socket, ownsSocket: true), default, context, [new SslApplicationProtocol("postgresql")], CancellationToken.None);
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var client = new SslStream(tcp.GetStream());
        await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "server.test",
            ApplicationProtocols = [new SslApplicationProtocol("h2")],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        await using var accepted = await server;
        Assert.Equal(default, accepted.NegotiatedApplicationProtocol);
        Assert.True(accepted.RemoteCertificateData.IsEmpty);
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task Connect_OffersItsProtocols_AndReportsTheOneTheServerTook(SslProtocols protocol)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            var ssl = new SslStream(new NetworkStream(await listener.AcceptSocketAsync(), ownsSocket: true));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = ServerCertificate,
                EnabledSslProtocols = protocol,
                ApplicationProtocols = [new SslApplicationProtocol("h2"), new SslApplicationProtocol("ferry-tunnel")],
            });
            return ssl;
        });
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        await using var client = await OpenSslStream.ConnectAsync(tcp.GetStream(), OpenSslContext.ForClient(ClientCertificate), "server.test",
            (_, _) => null, CancellationToken.None, [new SslApplicationProtocol("ferry-tunnel"), new SslApplicationProtocol("other")]);
        await using var accepted = await server;
        Assert.Equal(new SslApplicationProtocol("ferry-tunnel"), client.NegotiatedApplicationProtocol);
        Assert.Equal(new SslApplicationProtocol("ferry-tunnel"), accepted.NegotiatedApplicationProtocol);
    }

    [Fact]
    public async Task Connect_ToAServerThatTakesNoneOfItsProtocols_Fails()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            var ssl = new SslStream(new NetworkStream(await listener.AcceptSocketAsync(), ownsSocket: true));
            try
            {
                // A server without ALPN: it answers none, and the handshake itself succeeds.
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = ServerCertificate });
                var one = new byte[1];
                return await ssl.ReadAsync(one); // the client closes without sending anything
            }
            finally
            {
                await ssl.DisposeAsync();
            }
        });
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var e = await Assert.ThrowsAsync<AuthenticationException>(() => OpenSslStream.ConnectAsync(tcp.GetStream(), OpenSslContext.ForClient(ClientCertificate),
            "server.test", (_, _) => null, CancellationToken.None, [new SslApplicationProtocol("ferry-tunnel")]));
        Assert.Contains("ferry-tunnel", e.Message);
        Assert.Equal(0, await server);
    }

    [Fact]
    public async Task BothSidesOpenSsl_AgreeOnTheProtocol_SeeEachOthersCertificates_AndCarryData()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var context = OpenSslContext.ForServer(SslStreamCertificateContext.Create(ServerCertificate, additionalCertificates: null, offline: true));
        var server = Task.Run(async () =>
        {
            var net = new NetworkStream(await listener.AcceptSocketAsync(), ownsSocket: true);
            var tls = await OpenSslStream.AcceptAsync(net, default, context, [new SslApplicationProtocol("ferry-tunnel")], CancellationToken.None);
            var got = new byte[100_000];
            await tls.ReadExactlyAsync(got);
            await tls.WriteAsync(got.Reverse().ToArray());
            return tls;
        });
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        string? serverSeen = null;
        await using var client = await OpenSslStream.ConnectAsync(tcp.GetStream(), OpenSslContext.ForClient(ClientCertificate), "server.test",
            (leaf, _) => { serverSeen = leaf?.Thumbprint; return null; }, CancellationToken.None, [new SslApplicationProtocol("ferry-tunnel")]);
        var sent = RandomNumberGenerator.GetBytes(100_000);
        await client.WriteAsync(sent);
        var answer = new byte[sent.Length];
        await client.ReadExactlyAsync(answer);
        Assert.Equal(sent.Reverse().ToArray(), answer);
        await using var accepted = await server;
        Assert.Equal(ServerCertificate.Thumbprint, serverSeen);
        Assert.Equal(ClientCertificate.RawData, accepted.RemoteCertificateData.ToArray());
        Assert.Equal(new SslApplicationProtocol("ferry-tunnel"), client.NegotiatedApplicationProtocol);
        Assert.Equal(new SslApplicationProtocol("ferry-tunnel"), accepted.NegotiatedApplicationProtocol);
    }

    private static async Task ReadInPiecesAsync(Stream s, byte[] into)
    {
        var at = 0;
        while (at < into.Length)
        {
            var n = await s.ReadAsync(into.AsMemory(at, Math.Min(into.Length - at, 5000)));
            Assert.NotEqual(0, n);
            at += n;
        }
    }

    private static X509Certificate2 SelfSigned(string subject, string? dnsName, string usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dnsName is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(dnsName);
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class Pair : IAsyncDisposable
    {
        private readonly TcpListener _listener;

        private Pair(TcpListener listener, OpenSslStream client, SslStream server)
        {
            _listener = listener;
            Client = client;
            Server = server;
        }

        public OpenSslStream Client { get; }

        public SslStream Server { get; }

        public static async Task<Pair> StartAsync(SslProtocols protocol, Action<X509Certificate2?>? onClientCertificate = null,
            Func<X509Certificate2?, X509Certificate2Collection, string?>? check = null)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var accept = Task.Run(async () =>
            {
                var socket = await listener.AcceptSocketAsync(cts.Token);
                var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = ServerCertificate,
                    EnabledSslProtocols = protocol,
                    ClientCertificateRequired = true,
                    RemoteCertificateValidationCallback = (_, c, _, _) =>
                    {
                        onClientCertificate?.Invoke(c is null ? null : X509CertificateLoader.LoadCertificate(c.GetRawCertData()));
                        return c is not null;
                    },
                }, cts.Token);
                return ssl;
            });
            try
            {
                var tcp = new TcpClient { NoDelay = true };
                await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, cts.Token);
                var client = await OpenSslStream.ConnectAsync(tcp.GetStream(), OpenSslContext.ForClient(ClientCertificate), "server.test", check ?? ((_, _) => null), cts.Token);
                return new Pair(listener, client, await accept);
            }
            catch
            {
                listener.Stop();
                try
                {
                    (await accept).Dispose();
                }
                catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or SocketException)
                {
                    // the server side of a failed handshake
                }
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            _listener.Stop();
        }
    }
}
