using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Ferry.Proxy.Tests;

public sealed class TlsClientHelloTests
{
    private static async Task<byte[]> CaptureClientHelloAsync(params string[] alpn)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var server = await listener.AcceptTcpClientAsync();
        var ssl = new SslStream(client.GetStream());
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "proxy.example.com",
            ApplicationProtocols = [.. alpn.Select(a => new SslApplicationProtocol(a))],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        };
        var handshake = ssl.AuthenticateAsClientAsync(options);
        var buffer = new byte[TlsClientHello.MaxRecord];
        var total = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (TlsClientHello.TryParse(buffer.AsSpan(0, total), out _, out _) == TlsClientHello.Result.NeedMore)
        {
            total += await server.GetStream().ReadAsync(buffer.AsMemory(total), cts.Token);
        }
        server.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake);
        return buffer[..total];
    }

    [Fact]
    public async Task RealClientHello_YieldsAlpnAndServerName()
    {
        var hello = await CaptureClientHelloAsync("ferry-tunnel", "http/1.1");
        Assert.Equal(TlsClientHello.Result.Parsed, TlsClientHello.TryParse(hello, out var alpn, out var sni));
        Assert.Equal(["ferry-tunnel", "http/1.1"], alpn);
        Assert.Equal("proxy.example.com", sni);
    }

    [Fact]
    public async Task EveryPrefixOfAClientHello_NeedsMore()
    {
        var hello = await CaptureClientHelloAsync("postgresql");
        for (var n = 0; n < hello.Length; n++)
        {
            Assert.Equal(TlsClientHello.Result.NeedMore, TlsClientHello.TryParse(hello.AsSpan(0, n), out _, out _));
        }
    }

    [Fact]
    public void PostgresSslRequest_IsNotAClientHello()
    {
        byte[] sslRequest = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        Assert.Equal(TlsClientHello.Result.NotClientHello, TlsClientHello.TryParse(sslRequest, out _, out _));
    }

    [Fact]
    public async Task ClientHelloCutShortInsideItsRecord_IsRefusedWithoutThrowing()
    {
        var hello = await CaptureClientHelloAsync("postgresql", "ferry-tunnel");
        for (var body = 4; body < hello.Length - 5; body++)
        {
            // A record that claims exactly the bytes present, so every field after the cut is missing.
            var cut = hello[..(5 + body)];
            cut[3] = (byte)(body >> 8);
            cut[4] = (byte)body;
            var result = TlsClientHello.TryParse(cut, out var alpn, out _);
            Assert.NotEqual(TlsClientHello.Result.NeedMore, result);
            Assert.True(alpn.Length == 0 || alpn.All(a => a is "postgresql" or "ferry-tunnel"), $"cut at {body}: {string.Join(',', alpn)}");
        }
    }
}
