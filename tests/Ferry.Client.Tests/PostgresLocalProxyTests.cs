using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ferry.Identity;

namespace Ferry.Client.Tests;

/// <summary>The local PostgreSQL endpoint against a stand-in proxy (SSLRequest, TLS with the routed certificate, relay).</summary>
public sealed class PostgresLocalProxyTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static byte[] SslRequest => [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

    private static byte[] Startup(string user)
    {
        var body = Encoding.UTF8.GetBytes($"user\0{user}\0\0");
        var frame = new byte[8 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), 196608); // protocol 3.0
        body.CopyTo(frame, 8);
        return frame;
    }

    private static async Task<byte[]> ReadAsync(Stream s, int count)
    {
        var buffer = new byte[count];
        await s.ReadExactlyAsync(buffer).AsTask().WaitAsync(Limit);
        return buffer;
    }

    [Fact]
    public async Task LocalClient_PlainTextWithSslRequest_IsCarriedOverTlsWithTheRoutedCertificate()
    {
        using var dir = new TempDirectory();
        using var cluster = new TestCluster(dir.Path);
        using var hostKey = KeyPair.Generate();
        using var serverCert = TlsCertificates.FromPem(cluster.IssueHost(hostKey, HostRole.Proxy, ["localhost"], [IPAddress.Loopback]), hostKey.ExportPrivateKeyPem());
        using var userKey = KeyPair.Generate();
        var routedPem = cluster.IssueUser(userKey, "alice", TimeSpan.FromHours(1));

        // The stand-in proxy: SSLRequest → 'S', TLS requiring a client certificate, then echo the startup with a prefix.
        var upstream = new TcpListener(IPAddress.Loopback, 0);
        upstream.Start();
        string? presentedSubject = null;
        var serve = Task.Run(async () =>
        {
            using var socket = await upstream.AcceptSocketAsync();
            await using var net = new NetworkStream(socket, ownsSocket: true);
            Assert.Equal(SslRequest, await ReadAsync(net, 8));
            await net.WriteAsync("S"u8.ToArray());
            await using var tls = new SslStream(net);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = serverCert,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, c, _, _) => { presentedSubject = c?.Subject; return c is not null; },
            });
            var head = await ReadAsync(tls, 4);
            var rest = await ReadAsync(tls, BinaryPrimitives.ReadInt32BigEndian(head) - 4);
            await tls.WriteAsync(Encoding.UTF8.GetBytes("got:" + Encoding.UTF8.GetString(rest)));
            await tls.FlushAsync();
        });

        var cas = new X509Certificate2Collection();
        cas.ImportFromPem(cluster.HostCaPem);
        var address = new ProxyAddress("127.0.0.1", ((IPEndPoint)upstream.LocalEndpoint).Port);
        using var source = new RoutedCertificateSource("pg1", _ => Task.FromResult((TlsCertificates.FromPem(routedPem, userKey.ExportPrivateKeyPem()), DateTimeOffset.UtcNow.AddHours(1))),
            DateTimeOffset.UtcNow.AddHours(1), "ferry login");
        await using var proxy = new PostgresLocalProxy(source, ServerTrust.Pinned([.. cas], address), address, LocalProxyEndpoint.TcpWithoutPassword(0));
        proxy.Start();

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(SslRequest);
        Assert.Equal((byte)'N', (await ReadAsync(stream, 1))[0]);
        var startup = Startup("alice");
        await stream.WriteAsync(startup);
        var expected = "got:" + Encoding.UTF8.GetString(startup, 4, startup.Length - 4);
        var reply = Encoding.UTF8.GetString(await ReadAsync(stream, Encoding.UTF8.GetByteCount(expected)));
        Assert.Equal(expected, reply);
        await serve.WaitAsync(Limit);
        Assert.Equal("CN=alice", presentedSubject);
        upstream.Stop();
    }

    [Fact]
    public async Task LocalClient_WhenNoCertificateCanBeHad_GetsAFatalErrorResponseNamingTheFix()
    {
        var address = new ProxyAddress("127.0.0.1", 9); // never dialled
        using var source = new RoutedCertificateSource("pg1", _ => throw new InvalidOperationException("not reached"),
            DateTimeOffset.UtcNow.AddMinutes(-5), "ferry login --proxy p:3080 --user alice");
        await using var proxy = new PostgresLocalProxy(source, ServerTrust.Insecure(address), address, LocalProxyEndpoint.TcpWithoutPassword(0));
        proxy.Start();

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Startup("alice"));
        var head = await ReadAsync(stream, 5);
        Assert.Equal((byte)'E', head[0]);
        var body = Encoding.UTF8.GetString(await ReadAsync(stream, BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(1)) - 4));
        Assert.Contains("SFATAL", body);
        Assert.Contains("C08006", body);
        Assert.Contains("your login expired 5m ago: run `ferry login --proxy p:3080 --user alice`", body);
    }

    private static byte[] Password(string password)
    {
        var body = Encoding.UTF8.GetBytes(password + "\0");
        var frame = new byte[5 + body.Length];
        frame[0] = (byte)'p';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + body.Length);
        body.CopyTo(frame, 5);
        return frame;
    }

    private static async Task<string> ReadErrorAsync(Stream stream)
    {
        var head = await ReadAsync(stream, 5);
        Assert.Equal((byte)'E', head[0]);
        return Encoding.UTF8.GetString(await ReadAsync(stream, BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(1)) - 4));
    }

    /// <summary>A local proxy whose upstream is never reached: the login has expired, so a connection let through gets 08006.</summary>
    private static (RoutedCertificateSource Source, ProxyAddress Address) Unreachable()
    {
        var address = new ProxyAddress("127.0.0.1", 9);
        var source = new RoutedCertificateSource("pg1", _ => throw new InvalidOperationException("not reached"),
            DateTimeOffset.UtcNow.AddMinutes(-5), "ferry login");
        return (source, address);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-password")]
    [InlineData("")]
    public async Task LocalClient_WithoutTheSecret_IsAskedForItThenRefusedWith28P01_AndNothingGoesUpstream(string? password)
    {
        var (source, address) = Unreachable();
        using var _ = source;
        var endpoint = LocalProxyEndpoint.Tcp(0);
        var log = new List<string>();
        await using var proxy = new PostgresLocalProxy(source, ServerTrust.Insecure(address), address, endpoint, l => { lock (log) { log.Add(l); } });
        proxy.Start();

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Startup("alice"));
        Assert.Equal(new byte[] { (byte)'R', 0, 0, 0, 8, 0, 0, 0, 3 }, await ReadAsync(stream, 9)); // AuthenticationCleartextPassword
        if (password is null)
        {
            client.Client.Shutdown(SocketShutdown.Send); // psql: close, prompt, connect again
            Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(Limit));
            Assert.Equal(0, source.Issued);
            return;
        }

        await stream.WriteAsync(Password(password));
        var body = await ReadErrorAsync(stream);
        Assert.Contains("C28P01", body);
        Assert.Contains("password authentication failed for user \"alice\"", body);
        Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(Limit));
        Assert.Equal(1, proxy.Refused);
        Assert.Equal(0, source.Issued); // no certificate asked for, no upstream connection
        lock (log)
        {
            Assert.Contains(log, l => l.Contains("refused a connection for database user \"alice\"", StringComparison.Ordinal));
            Assert.DoesNotContain(log, l => l.Contains(endpoint.Secret!, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task LocalClient_WithTheSecret_IsLetThrough()
    {
        var (source, address) = Unreachable();
        using var _ = source;
        var endpoint = LocalProxyEndpoint.Tcp(0);
        await using var proxy = new PostgresLocalProxy(source, ServerTrust.Insecure(address), address, endpoint);
        proxy.Start();

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(SslRequest);
        Assert.Equal((byte)'N', (await ReadAsync(stream, 1))[0]);
        await stream.WriteAsync(Startup("alice"));
        await ReadAsync(stream, 9);
        await stream.WriteAsync(Password(endpoint.Secret!));
        // Past the password check: the expired login is what stops it now (08006), not the password.
        var body = await ReadErrorAsync(stream);
        Assert.Contains("C08006", body);
        Assert.Contains("your login expired", body);
        Assert.Equal(0, proxy.Refused);
    }

    [Fact]
    public async Task UnixSocket_IsMode0600InA0700Directory_AndRemovedAtTheEnd()
    {
        using var dir = new TempDirectory();
        var (source, address) = Unreachable();
        using var _ = source;
        var socketDir = Path.Combine(dir.Path, "run");
        var endpoint = LocalProxyEndpoint.UnixSocket(socketDir, "postgres", 15432);
        Assert.Null(endpoint.Secret);
        Assert.Equal(Path.Combine(socketDir, ".s.PGSQL.15432"), endpoint.SocketPath);
        await using (var proxy = new PostgresLocalProxy(source, ServerTrust.Insecure(address), address, endpoint))
        {
            proxy.Start();
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(socketDir));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(endpoint.SocketPath!));
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.SocketPath!));
            await using var stream = new NetworkStream(client);
            await stream.WriteAsync(Startup("alice"));
            Assert.Contains("your login expired", await ReadErrorAsync(stream)); // no password asked on the socket
        }

        Assert.False(File.Exists(endpoint.SocketPath));
    }

    [Fact]
    public async Task UnixSocket_InADirectoryOthersCanOpen_IsRefused()
    {
        using var dir = new TempDirectory();
        var (source, address) = Unreachable();
        using var _ = source;
        File.SetUnixFileMode(dir.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        await using var proxy = new PostgresLocalProxy(source, ServerTrust.Insecure(address), address, LocalProxyEndpoint.UnixSocket(dir.Path, "postgres", 5432));
        var e = Assert.Throws<FerryClientException>(proxy.Start);
        Assert.Contains("is open to other users (mode 755)", e.Message);
    }

    [Fact]
    public void Secrets_AreLongRandomAndAlphanumeric()
    {
        var a = LocalProxyEndpoint.Tcp(0).Secret!;
        var b = LocalProxyEndpoint.Tcp(0).Secret!;
        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);
        Assert.All(a, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
    }
}
