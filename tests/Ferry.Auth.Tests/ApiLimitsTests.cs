using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Auth.Server;
using Ferry.Auth.Users;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

/// <summary>
/// The auth API's bounds: field and body sizes, audit of failed logins in summaries, idle keep-alive,
/// connections per source, and the signed PROXY v2 header that carries a client's address through a proxy.
/// </summary>
public sealed class ApiLimitsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<AuthServer> StartAsync(TimeSpan? idle = null, int perSource = 64, TimeSpan? refusalWindow = null) =>
        AuthServer.StartAsync(new AuthServerOptions
        {
            ConnectionRefusalAuditWindow = refusalWindow ?? TimeSpan.FromMinutes(1),
            DataDir = _dir.Path,
            ListenAddress = "127.0.0.1:0",
            ClusterName = "test",
            ServerId = "auth-test",
            ApiIdleTimeout = idle ?? TimeSpan.FromSeconds(15),
            MaxApiConnectionsPerSource = perSource,
        });

    [Fact]
    public async Task Login_WithOversizedFields_IsRefusedBeforeAnyWork_AndAuditedWithBoundedValues()
    {
        await using var server = await StartAsync();
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();

        using var huge = await PostAsync(client, "/v1/login", JsonSerializer.SerializeToUtf8Bytes(
            new LoginRequest { User = new string('a', 2 * 1024 * 1024), Password = "x", Otp = "1", PublicKeyPem = "x" }, AuthApiJsonContext.Default.LoginRequest));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        using var longName = await AuthTestHost.LoginAsync(client, new string('b', 5000), "x", "123456", key);
        Assert.Equal(HttpStatusCode.BadRequest, longName.StatusCode);
        Assert.Contains("user name is not valid", await AuthTestHost.ErrorAsync(longName), StringComparison.Ordinal);
        using var longPassword = await AuthTestHost.LoginAsync(client, "bob", new string('p', 5000), "123456", key);
        Assert.Equal(HttpStatusCode.BadRequest, longPassword.StatusCode);
        using var longOtp = await AuthTestHost.LoginAsync(client, "bob", "x", new string('1', 5000), key);
        Assert.Equal(HttpStatusCode.BadRequest, longOtp.StatusCode);

        server.Service.FlushLoginAudit();
        await server.FlushAuditAsync();
        var events = server.AuditStore.Search(new AuditQuery { Type = AuditEventTypes.UserLogin });
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.True((e.User?.Length ?? 0) <= AuthService.MaxAuditedFieldLength + 1, e.User?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(events, e => e.User!.StartsWith("bbbb", StringComparison.Ordinal) && e.Error!.Contains("not valid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailedLogins_AreAuditedAsOneEventThenOneSummaryPerUserAndSource()
    {
        var (_, _, _) = await AdminRunner.AddUserAsync(_dir.Path, "bob", "admin");
        await using var server = await StartAsync();
        using var key = KeyPair.Generate();
        for (var i = 0; i < 50; i++)
        {
            var e = await Assert.ThrowsAsync<AuthException>(() => server.Service.LoginAsync(new LoginRequest { User = "bob", Password = "guess" + i, Otp = "000000", PublicKeyPem = key.ExportPublicKeyPem() }, "10.9.9.9"));
            Assert.True(e.StatusCode is 401 or 429, e.Message);
        }

        server.Service.FlushLoginAudit();
        await server.FlushAuditAsync();
        var events = server.AuditStore.Search(new AuditQuery { Type = AuditEventTypes.UserLogin, User = "bob" });
        // One event for the first failure, one for the first throttled attempt, then a summary of each with its count.
        Assert.InRange(events.Count, 2, 4);
        var counted = events.Sum(e => e.Details is { } d && d.TryGetValue("count", out var c) ? long.Parse(c, System.Globalization.CultureInfo.InvariantCulture) : 1);
        Assert.Equal(50, counted);
        Assert.All(events, e => Assert.Equal("10.9.9.9", e.ClientAddr));
    }

    [Fact]
    public async Task BadPasswordsFromOneSource_DoNotStopACorrectLoginFromAnother()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "victim", "admin");
        await using var server = await StartAsync();
        using var key = KeyPair.Generate();
        for (var i = 0; i < 10; i++)
        {
            await Assert.ThrowsAsync<AuthException>(() => server.Service.LoginAsync(new LoginRequest { User = "victim", Password = "guess" + i, Otp = "000000", PublicKeyPem = key.ExportPublicKeyPem() }, "10.0.0.66"));
        }

        var throttled = await Assert.ThrowsAsync<AuthException>(() => server.Service.LoginAsync(new LoginRequest { User = "victim", Password = password, Otp = AuthTestHost.Otp(secret), PublicKeyPem = key.ExportPublicKeyPem() }, "10.0.0.66"));
        Assert.Equal(429, throttled.StatusCode);
        var ok = await server.Service.LoginAsync(new LoginRequest { User = "victim", Password = password, Otp = AuthTestHost.Otp(secret), PublicKeyPem = key.ExportPublicKeyPem() }, "10.0.0.77");
        Assert.NotNull(ok.CertificatePem);
    }

    [Fact]
    public async Task BodiesOverTheLimit_Get413WithAJsonError_WithOrWithoutContentLength()
    {
        await using var server = await StartAsync();
        using var client = AuthTestHost.Client(server);

        // Declared over the limit (17 MiB against 16): refused from the header alone, before any of the body is read,
        // so the client that waits (Expect: 100-continue) never sends it. Written by hand: HttpClient may start
        // sending a body before the answer comes, and the server closing on it then shows up as a broken pipe.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
            await using var tls = await TlsAsync(tcp.GetStream());
            await tls.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /v1/audit/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {17 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n"));
            var answer = new StringBuilder();
            var buffer = new byte[16 * 1024];
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int n;
            while ((n = await tls.ReadAsync(buffer, limit.Token)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            string response = answer.ToString();
            Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
            Assert.DoesNotContain("100 Continue", response, StringComparison.Ordinal);
            Assert.Contains("larger than this endpoint accepts", response, StringComparison.Ordinal);
        }

        var login = new byte[100 * 1024];
        login.AsSpan().Fill((byte)' ');
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/v1/login") { Content = new StreamContent(new MemoryStream(login)) };
        chunked.Headers.TransferEncodingChunked = true;
        using var streamed = await client.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
    }

    /// <summary>
    /// A body a little over the limit, sent whole before the answer comes: the client reads the 413, every time. (When
    /// the server closed with the body unread, the kernel reset the connection, and the reset could overtake the 413:
    /// the client saw "response ended prematurely" or a broken pipe instead.)
    /// </summary>
    [Fact]
    public async Task ABodyALittleOverTheLimit_AlwaysReachesTheClientAs413()
    {
        await using var server = await StartAsync();
        using var client = AuthTestHost.Client(server);
        var body = new byte[70 * 1024];
        body.AsSpan().Fill((byte)' ');

        for (var i = 0; i < 30; i++)
        {
            using var response = await PostAsync(client, "/v1/join", body);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("larger than this endpoint accepts", await AuthTestHost.ErrorAsync(response), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task IdleKeepAliveConnection_IsClosedAfterTheIdleTimeout()
    {
        await using var server = await StartAsync(idle: TimeSpan.FromSeconds(1));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var tls = await TlsAsync(tcp.GetStream());
        await tls.WriteAsync("GET /v1/ca HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
        var buffer = new byte[64 * 1024];
        var n = await tls.ReadAsync(buffer);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await tls.ReadAsync(buffer, limit.Token) > 0)
        {
        }
    }

    [Fact]
    public async Task ConnectionsPerSource_AreCapped()
    {
        await using var server = await StartAsync(perSource: 2);
        var open = new List<SslStream>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
                open.Add(await TlsAsync(tcp.GetStream()));
            }

            using var third = new TcpClient();
            await third.ConnectAsync(IPAddress.Loopback, server.Port);
            await Assert.ThrowsAnyAsync<Exception>(() => TlsAsync(third.GetStream()));
        }
        finally
        {
            foreach (var s in open)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SignedProxyHeader_SetsTheClientAddress_ForThrottleAndAudit()
    {
        await using var server = await StartAsync();
        using var proxy = await AuthTestHost.JoinAsync(server, "proxy-1", "proxy");
        var header = ProxyProtocolHeader.Create(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40000), new IPEndPoint(IPAddress.Loopback, 3080), proxy, DateTimeOffset.UtcNow);

        var status = await LoginThroughHeaderAsync(server, header);

        Assert.Equal(401, status);
        server.Service.FlushLoginAudit();
        await server.FlushAuditAsync();
        var e = Assert.Single(server.AuditStore.Search(new AuditQuery { Type = AuditEventTypes.UserLogin, User = "nobody" }));
        Assert.Equal("203.0.113.7", e.ClientAddr);
    }

    [Fact]
    public async Task ProxyHeader_FromANonProxy_Tampered_OrReplayed_ClosesTheConnection()
    {
        await using var server = await StartAsync();
        using var agent = await AuthTestHost.JoinAsync(server, "agent-1", "agent");
        using var proxy = await AuthTestHost.JoinAsync(server, "proxy-1", "proxy");
        var source = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40000);
        var destination = new IPEndPoint(IPAddress.Loopback, 3080);

        var fromAgent = ProxyProtocolHeader.Create(source, destination, agent, DateTimeOffset.UtcNow);
        Assert.Null(await LoginThroughHeaderAsync(server, fromAgent));

        var tampered = ProxyProtocolHeader.Create(source, destination, proxy, DateTimeOffset.UtcNow);
        tampered[16 + 3] ^= 1; // 203.0.113.7 → 203.0.113.6
        Assert.Null(await LoginThroughHeaderAsync(server, tampered));

        var old = ProxyProtocolHeader.Create(source, destination, proxy, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10));
        Assert.Null(await LoginThroughHeaderAsync(server, old));

        var once = ProxyProtocolHeader.Create(source, destination, proxy, DateTimeOffset.UtcNow);
        Assert.Equal(401, await LoginThroughHeaderAsync(server, once));
        Assert.Null(await LoginThroughHeaderAsync(server, once));
    }

    [Fact]
    public async Task AFloodOfRefusedConnections_IsAuditedAsABoundedNumberOfEvents_WithTheRightCounts()
    {
        // A window longer than the test: the summaries are written by the explicit flush below, not the timer.
        await using var server = await StartAsync(perSource: 2, refusalWindow: TimeSpan.FromHours(1));
        // 30 connections that start a PROXY header and then send garbage: each is closed before TLS.
        for (var i = 0; i < 30; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
            var net = tcp.GetStream();
            await net.WriteAsync("\r\nnot a PROXY header at all\r\n"u8.ToArray());
            var buffer = new byte[64];
            while (await net.ReadAsync(buffer) > 0)
            {
            }
        }

        // 12 connections over the per-source cap of 2.
        var open = new List<SslStream>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
                open.Add(await TlsAsync(tcp.GetStream()));
            }

            for (var i = 0; i < 12; i++)
            {
                using var extra = new TcpClient();
                await extra.ConnectAsync(IPAddress.Loopback, server.Port);
                await Assert.ThrowsAnyAsync<Exception>(() => TlsAsync(extra.GetStream()));
            }
        }
        finally
        {
            foreach (var s in open)
            {
                await s.DisposeAsync();
            }
        }

        // The window closes: one event at once and one summary per (reason, source), the counts adding up.
        Assert.Equal(2, server.ClientAddress!.RefusalAudit.Flush());
        await server.FlushAuditAsync();
        var events = server.AuditStore.Search(new AuditQuery { Type = AuditEventTypes.ApiConnection }).ToList();
        Assert.Equal(4, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("TJ004W", e.Code);
            Assert.False(e.Success);
            Assert.Equal("127.0.0.1", e.ClientAddr);
        });
        long Total(string reason) => events.Where(e => e.Details!["reason"] == reason).Sum(e => long.Parse(e.Details!["count"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(30, Total(ClientAddressMiddleware.ReasonInvalidProxyHeader));
        Assert.Equal(12, Total(ClientAddressMiddleware.ReasonTooManyConnections));
        Assert.Equal(2, events.Count(e => e.Details!.ContainsKey("summary")));

        // A window with nothing new writes nothing.
        Assert.Equal(0, server.ClientAddress.RefusalAudit.Flush());
    }

    /// <summary>Writes <paramref name="header"/>, then TLS and a failing login; the HTTP status, or null when the server closed the connection.</summary>
    private static async Task<int?> LoginThroughHeaderAsync(AuthServer server, byte[] header)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var net = tcp.GetStream();
        await net.WriteAsync(header);
        try
        {
            await using var tls = await TlsAsync(net);
            using var key = KeyPair.Generate();
            var body = JsonSerializer.SerializeToUtf8Bytes(new LoginRequest { User = "nobody", Password = "x", Otp = "000000", PublicKeyPem = key.ExportPublicKeyPem() }, AuthApiJsonContext.Default.LoginRequest);
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"POST /v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
            await tls.WriteAsync(body);
            var buffer = new byte[16 * 1024];
            var n = await tls.ReadAsync(buffer);
            var text = Encoding.ASCII.GetString(buffer, 0, n);
            return int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            return null;
        }
    }

    private static async Task<SslStream> TlsAsync(Stream inner)
    {
        var tls = new SslStream(inner);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        return tls;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        return client.SendAsync(request);
    }
}
