using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

public sealed class UserCertificateAndAuditTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<X509Certificate2> LoginAsync(Ferry.Auth.Server.AuthServer server, string user, string password, string secret, int stepOffset = 0)
    {
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();
        var response = await AuthTestHost.LoginAsync(client, user, password, AuthTestHost.Otp(secret, stepOffset), key);
        var issued = await AuthTestHost.ReadAsync(response, AuthApiJsonContext.Default.UserCertificateResponse);
        return TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
    }

    [Fact]
    public async Task CertsUser_ReissuesWithARoute_NoLongerThanThePresentedCertificate()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var userCert = await LoginAsync(server, "alice", password, secret);
        using var client = AuthTestHost.Client(server, userCert);
        using var key = KeyPair.Generate();

        var response = await client.PostAsJsonAsync("/v1/certs/user", new UserCertificateRequest
        {
            PublicKeyPem = key.ExportPublicKeyPem(),
            Route = new RouteRequest { Service = "pg1", Protocol = "postgres", DbUser = "app", DbName = "shop" },
            TtlSeconds = 48 * 3600,
        }, AuthApiJsonContext.Default.UserCertificateRequest);

        var issued = await AuthTestHost.ReadAsync(response, AuthApiJsonContext.Default.UserCertificateResponse);
        using var routed = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        var identity = server.Service.UserVerifier.VerifyUser(routed).Identity!;
        Assert.Equal(new DatabaseRoute("pg1", DatabaseProtocol.Postgres, "app", "shop"), identity.Route);
        Assert.True(identity.NotAfter <= new DateTimeOffset(userCert.NotAfter.ToUniversalTime()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await AuthTestHost.Client(server).PostAsJsonAsync("/v1/certs/user", new UserCertificateRequest { PublicKeyPem = key.ExportPublicKeyPem() }, AuthApiJsonContext.Default.UserCertificateRequest)).StatusCode);
    }

    [Fact]
    public async Task LoginsAndAdminChanges_AreAudited_AndSearchNeedsAuditSearch()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        var role = Path.Combine(_dir.Path, "dev.yaml");
        await File.WriteAllTextAsync(role, "kind: role\nname: dev\n");
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", role)).Code);
        var (devPassword, devSecret, _) = await AdminRunner.AddUserAsync(_dir.Path, "dan", "dev");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using (var anonymous = AuthTestHost.Client(server))
        using (var key = KeyPair.Generate())
        {
            await AuthTestHost.LoginAsync(anonymous, "alice", "wrong password!!", "000000", key);
        }

        using var adminCert = await LoginAsync(server, "alice", password, secret);
        using var devCert = await LoginAsync(server, "dan", devPassword, devSecret);
        using var admin = AuthTestHost.Client(server, adminCert);
        using var dev = AuthTestHost.Client(server, devCert);

        Assert.Equal(HttpStatusCode.Forbidden, (await dev.GetAsync("/v1/audit/search?type=user.login")).StatusCode);
        var events = await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=user.login&user=alice", list => list.Count >= 2);
        Assert.Contains(events, e => e.Code == AuditEventKinds.UserLoginFailure.Code && !e.Success && e.ClientAddr == "127.0.0.1");
        Assert.Contains(events, e => e.Code == AuditEventKinds.UserLoginSuccess.Code && e.Success);
        // The admin command's own events (user.create from the bootstrap) were shipped from its spool into the store.
        var created = await SearchUntilAsync(admin, "/v1/audit/search?type=user.create", list => list.Count >= 2);
        Assert.Contains(created, e => e.Details!["target_user"] == "dan");
    }

    [Fact]
    public async Task AuditUpload_FromAHost_StoresEventsOnceById()
    {
        await using var host = await UploadingAgent.StartAsync(_dir.Path);
        var (server, agent, password, secret) = (host.Server, host.Agent, host.Password, host.Secret);
        var now = DateTimeOffset.UtcNow;
        List<AuditEvent> batch =
        [
            new AuditEvent { Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code, User = "alice", DbService = "pg1", Query = "DELETE FROM t" },
            new AuditEvent { Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code, User = "alice", DbService = "pg1", Query = "SELECT 1" },
        ];

        var first = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/audit/events", batch, AuditJsonContext.Default.ListAuditEvent), AuthApiJsonContext.Default.AuditUploadResponse);
        var again = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/audit/events", batch, AuditJsonContext.Default.ListAuditEvent), AuthApiJsonContext.Default.AuditUploadResponse);
        var anonymous = await AuthTestHost.Client(server).PostAsJsonAsync("/v1/audit/events", batch, AuditJsonContext.Default.ListAuditEvent);

        Assert.Equal((2, 2), (first.Received, first.Stored));
        Assert.Equal((2, 0), (again.Received, again.Stored));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var adminCert = await LoginAsync(server, "alice", password, secret);
        using var admin = AuthTestHost.Client(server, adminCert);
        var found = await SearchUntilAsync(admin, "/v1/audit/search?db=pg1&contains=delete", list => list.Count >= 1);
        Assert.Equal("DELETE FROM t", found.Single().Query);
    }

    [Fact]
    public async Task AuditUpload_FromAHost_RefusesABodyThatIsNotOneJsonArray_AndStoresNothingOfIt()
    {
        await using var host = await UploadingAgent.StartAsync(_dir.Path);
        var (server, agent, password, secret) = (host.Server, host.Agent, host.Password, host.Secret);
        var now = DateTimeOffset.UtcNow;
        var one = JsonSerializer.Serialize(
            new List<AuditEvent> { new() { Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code, User = "alice", DbService = "pg1", Query = "SELECT 'trailing'" } },
            AuditJsonContext.Default.ListAuditEvent);

        // ... also an array with a null event, and an event with a field of the wrong type.
        var withNull = one[..^1] + ",null]";
        var wrongType = one[..^2] + ",\"rows\":\"12\"}]";
        foreach (var (body, chunked) in new[] { (one + " []", false), (one + "x", true), (one[..^2], false), ("", false), ("{}", true), (withNull, false), (wrongType, true) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audit/events") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.TransferEncodingChunked = chunked;
            using var response = await agent.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("body must be a JSON array of audit events", await AuthTestHost.ErrorAsync(response), StringComparison.Ordinal);
        }

        // The next upload works, and none of the refused bodies' events was stored. (Bodies over the endpoint's limit:
        // ApiLimitsTests; a chunked one cut off mid-send may reach the client as a reset instead of its 413.)
        using var fresh = AuthTestHost.Client(server, host.Certificate);
        var ok = await AuthTestHost.ReadAsync(await fresh.PostAsync("/v1/audit/events", new StringContent(one, System.Text.Encoding.UTF8, "application/json")), AuthApiJsonContext.Default.AuditUploadResponse);
        Assert.Equal((1, 1), (ok.Received, ok.Stored));
        using var adminCert = await LoginAsync(server, "alice", password, secret);
        using var admin = AuthTestHost.Client(server, adminCert);
        var found = await SearchUntilAsync(admin, "/v1/audit/search?db=pg1&contains=trailing", list => list.Count >= 1);
        Assert.Single(found);
    }

    [Fact]
    public async Task AuditUpload_FromAHost_LargerThanTheConnectionsRequestBuffer_IsStoredWhole_WithOrWithoutContentLength()
    {
        await using var host = await UploadingAgent.StartAsync(_dir.Path);
        var now = DateTimeOffset.UtcNow;
        var padding = new string('x', 2000);
        List<AuditEvent> Batch() => [.. Enumerable.Range(0, 1500).Select(i => new AuditEvent
        {
            Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code,
            User = "alice", DbService = "pg1", Query = $"SELECT {i} /* {padding} */",
        })];

        // Kestrel's request buffer for a connection is 1 MiB: each body here is about 3.5 MiB.
        var withLength = JsonSerializer.SerializeToUtf8Bytes(Batch(), AuditJsonContext.Default.ListAuditEvent);
        Assert.True(withLength.Length > 3 * 1024 * 1024, $"{withLength.Length} bytes");
        using var sized = new ByteArrayContent(withLength);
        sized.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var first = await AuthTestHost.ReadAsync(await host.Agent.PostAsync("/v1/audit/events", sized).WaitAsync(TimeSpan.FromSeconds(60)), AuthApiJsonContext.Default.AuditUploadResponse);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/v1/audit/events") { Content = new StreamContent(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(Batch(), AuditJsonContext.Default.ListAuditEvent))) };
        chunked.Headers.TransferEncodingChunked = true;
        var second = await AuthTestHost.ReadAsync(await host.Agent.SendAsync(chunked).WaitAsync(TimeSpan.FromSeconds(60)), AuthApiJsonContext.Default.AuditUploadResponse);

        Assert.Equal((1500, 1500), (first.Received, first.Stored));
        Assert.Equal((1500, 1500), (second.Received, second.Stored));
    }

    /// <summary>An auth server with admin alice and a joined agent that registered database pg1.</summary>
    private sealed class UploadingAgent : IAsyncDisposable
    {
        public required Ferry.Auth.Server.AuthServer Server { get; init; }

        public required X509Certificate2 Certificate { get; init; }

        public required HttpClient Agent { get; init; }

        public required string Password { get; init; }

        public required string Secret { get; init; }

        public static async Task<UploadingAgent> StartAsync(string dir)
        {
            var (password, secret, _) = await AdminRunner.AddUserAsync(dir, "alice", "admin");
            var server = await AuthTestHost.StartAsync(dir);
            var certificate = await AuthTestHost.JoinAsync(server, "agent1", "agent");
            var agent = AuthTestHost.Client(server, certificate);
            await HostScope.RegisterAsync(agent, ("pg1", "dev"));
            return new UploadingAgent { Server = server, Certificate = certificate, Agent = agent, Password = password, Secret = secret };
        }

        public async ValueTask DisposeAsync()
        {
            Agent.Dispose();
            Certificate.Dispose();
            await Server.DisposeAsync();
        }
    }

    private static async Task<List<AuditEvent>> SearchUntilAsync(HttpClient client, string url, Func<List<AuditEvent>, bool> done)
    {
        List<AuditEvent> list = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            list = JsonSerializer.Deserialize(body, AuditJsonContext.Default.ListAuditEvent)!;
            if (done(list))
            {
                return list;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{url} never matched; last result: {list.Count} events");
        return list;
    }
}
