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
        await using var proxy = new PostgresLocalProxy(source, ServerTrust.Pinned([.. cas], address), address, 0);
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
        await using var proxy = new PostgresLocalProxy(source, ServerTrust.Insecure(address), address, 0);
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
}
