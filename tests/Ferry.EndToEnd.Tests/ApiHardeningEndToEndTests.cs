using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The auth API against hostile clients, through the real binaries: oversized logins and bodies, login
/// throttling per (user, source) with the real client address passed by the in-process and a standalone proxy,
/// throttle state across a restart, and idle keep-alive connections.
/// </summary>
public sealed class ApiHardeningEndToEndTests(StandaloneClusterFixture fixture) : IClassFixture<StandaloneClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Login_With2MiBUserNames_IsRefusedWith4xx_AndWritesNothingBig()
    {
        var before = DirectorySize(Cluster.DataDir);
        using var api = Cluster.ApiViaProxy();
        var body = JsonSerializer.SerializeToUtf8Bytes(new LoginRequest { User = new string('a', 2 * 1024 * 1024), Password = "x", Otp = "123456", PublicKeyPem = "x" }, AuthApiJsonContext.Default.LoginRequest);
        for (var i = 0; i < 30; i++)
        {
            using var response = await PostAsync(api, "/v1/login", body);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("larger than this endpoint accepts", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A user name just over the limit in a small body: 400 naming the limit.
        using var tooLong = await api.PostAsJsonAsync("/v1/login", new LoginRequest { User = new string('b', 129), Password = "x", Otp = "1", PublicKeyPem = "x" }, AuthApiJsonContext.Default.LoginRequest);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("user name is not valid", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Whatever the audit pipeline writes for these lands within moments; 30 × 2 MiB used to add 67 MB.
        long grown = 0;
        for (var i = 0; i < 30; i++)
        {
            grown = Math.Max(grown, DirectorySize(Cluster.DataDir) - before);
            await Task.Delay(100);
        }

        Assert.True(grown < 4 * 1024 * 1024, $"data dir grew by {grown} bytes");
    }

    [Fact]
    public async Task TenBadPasswordsFromOneSource_DoNotStopACorrectLoginFromAnother_ThroughBothProxies()
    {
        var (standalone, standalonePort) = await Cluster.StartSecondProxyAsync();
        using var stopStandalone = standalone;
        foreach (var (port, user) in new[] { (Cluster.ProxyPort, "victim1"), (standalonePort, "victim2") })
        {
            var victim = await Cluster.AddUserAsync(user, "developer", "db_users=alice");
            using var attacker = ApiFrom(IPAddress.Parse("127.0.0.2"), port);
            var refused = 0;
            for (var i = 0; i < 10; i++)
            {
                using var bad = await LoginAsync(attacker, victim.User, "wrong-" + i, "000000");
                Assert.True(bad.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, bad.StatusCode.ToString());
                refused += bad.StatusCode == HttpStatusCode.TooManyRequests ? 1 : 0;
            }

            Assert.True(refused > 0, "the attacker's source was never throttled");
            using var owner = ApiFrom(IPAddress.Parse("127.0.0.3"), port);
            using var good = await LoginAsync(owner, victim.User, victim.Password, Totp.Code(victim.TotpSecret, DateTimeOffset.UtcNow));
            Assert.True(good.StatusCode == HttpStatusCode.OK, $"port {port}: {(int)good.StatusCode} {await good.Content.ReadAsStringAsync()}");

            // The audit log names the real client addresses, not the proxy's.
            var events = await SearchLoginsAsync(user);
            Assert.Contains(events, e => !e.Success && e.ClientAddr == "127.0.0.2");
            Assert.Contains(events, e => e.Success && e.ClientAddr == "127.0.0.3");
            Assert.DoesNotContain(events, e => e.ClientAddr == "127.0.0.1");
        }
    }

    [Fact]
    public async Task Restart_KeepsTheThrottle()
    {
        var user = await Cluster.AddUserAsync("restarted", "developer", "db_users=alice");
        // Five free failures, then lockouts of 1 s, 2 s, 4 s, 8 s, 16 s for that user from that source: fail (waiting
        // each lockout out) until the next one outlives a restart by far.
        using (var attacker = ApiFrom(IPAddress.Parse("127.0.0.4"), Cluster.ProxyPort))
        {
            for (var i = 0; i < 40; i++)
            {
                using var r = await LoginAsync(attacker, user.User, "wrong-" + i, "000000");
                if (r.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
                    continue;
                }
                var wait = r.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                if (wait >= TimeSpan.FromSeconds(16))
                {
                    break;
                }
                await Task.Delay(wait);
            }
        }

        Cluster.KillFerryd();
        await Cluster.RestartFerrydAsync();

        using var again = ApiFrom(IPAddress.Parse("127.0.0.4"), Cluster.ProxyPort);
        using var stillThrottled = await LoginAsync(again, user.User, user.Password, Totp.Code(user.TotpSecret, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.TooManyRequests, stillThrottled.StatusCode);
        using var other = ApiFrom(IPAddress.Parse("127.0.0.5"), Cluster.ProxyPort);
        using var good = await LoginAsync(other, user.User, user.Password, Totp.Code(user.TotpSecret, DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task BodiesOver16MiB_Get413_NotAStackTrace()
    {
        using var api = Cluster.ApiViaProxy();
        var big = new byte[17 * 1024 * 1024];
        big.AsSpan().Fill((byte)' ');
        foreach (var path in new[] { "/v1/audit/events", "/v1/login", "/v1/join" })
        {
            using var response = await PostAsync(api, path, big);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Contains("larger than this endpoint accepts", body, StringComparison.Ordinal);
            Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        }

        // Without a Content-Length (chunked), the limit applies while reading.
        // Just over login's 64 KiB: small enough to sit in the socket buffers whole, so the client reads the 413 instead
        // of failing its write when the server closes after answering.
        using var chunked = new StreamContent(new MemoryStream(big, 0, 65 * 1024)); // spaces: JSON that is not over yet
        chunked.Headers.ContentType = new("application/json");
        // (/v1/login: an endpoint that reads bodies before any certificate; /v1/audit/events answers a caller without a
        // host certificate 401 before reading the body at all.)
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/login") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var streamed = await api.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
    }

    [Fact]
    public async Task IdleKeepAliveApiConnection_ThroughTheProxy_IsClosedAfterTheIdleTime()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Cluster.ProxyPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        await tls.WriteAsync("GET /v1/ca HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        var first = await tls.ReadAsync(buffer);
        text.Append(Encoding.ASCII.GetString(buffer, 0, first));
        Assert.StartsWith("HTTP/1.1 200", text.ToString(), StringComparison.Ordinal);

        // Drain the rest of the answer, then wait for the server to close the idle connection
        // (auth.api_idle_timeout, 15 s by default; it used to be Kestrel's 130 s).
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var n = await tls.ReadAsync(buffer, limit.Token);
            if (n == 0)
            {
                break;
            }
        }
    }

    private async Task<List<AuditEvent>> SearchLoginsAsync(string user)
    {
        var admin = await Cluster.AddUserAsync("auditor-" + Guid.NewGuid().ToString("N")[..6], "admin");
        var creds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(creds.Certificate);
        // Events reach the store through the spool within moments: poll (bounded).
        for (var i = 0; ; i++)
        {
            var events = await api.GetFromJsonAsync($"/v1/audit/search?type=user.login&user={user}&since=1h", AuditJsonContext.Default.ListAuditEvent) ?? [];
            if (events.Any(e => e.Success) || i == 50)
            {
                return events;
            }
            await Task.Delay(200);
        }
    }

    /// <summary>POSTs with a Content-Length and <c>Expect: 100-continue</c> (as curl does for large bodies).</summary>
    private static Task<HttpResponseMessage> PostAsync(HttpClient api, string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        return api.SendAsync(request);
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient api, string user, string password, string otp)
    {
        using var key = KeyPair.Generate();
        return api.PostAsJsonAsync("/v1/login", new LoginRequest { User = user, Password = password, Otp = otp, PublicKeyPem = key.ExportPublicKeyPem() }, AuthApiJsonContext.Default.LoginRequest);
    }

    /// <summary>An API client whose connections come from <paramref name="local"/> (any 127.0.0.0/8 address works on Linux).</summary>
    private static HttpClient ApiFrom(IPAddress local, int port)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    private static long DirectorySize(string path) =>
        new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f =>
        {
            try
            {
                return f.Length;
            }
            catch (FileNotFoundException)
            {
                return 0L;
            }
        });
}
