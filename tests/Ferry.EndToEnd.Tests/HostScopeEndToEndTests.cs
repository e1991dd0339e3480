using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// A stolen host credential reaches no further than that host's job: the standalone agent's own certificate (read
/// from its data dir, used with HttpClient as an attacker would with curl) gets db-client certificates only for its
/// databases and the db users a real user certificate allows; a proxy certificate cannot add a database to the
/// listing nor forge audit events.
/// </summary>
[Collection("standalone agent")]
public sealed class HostScopeEndToEndTests(StandaloneClusterFixture fixture) : IClassFixture<StandaloneClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    internal static X509Certificate2 AgentCertificate(FerryCluster cluster) => TlsCertificates.FromPem(
        File.ReadAllText(Path.Combine(cluster.AgentDataDir, "host", "host.crt")),
        File.ReadAllText(Path.Combine(cluster.AgentDataDir, "host", "host.key")));

    internal static DbCertificateRequest DbCert(string database, string dbUser, X509Certificate2? user, string dbName = "app")
    {
        using var key = KeyPair.Generate();
        return new DbCertificateRequest
        {
            Database = database,
            DbUser = dbUser,
            DbName = dbName,
            UserCertificatePem = user?.ExportCertificatePem() ?? "",
            PublicKeyPem = key.ExportPublicKeyPem(),
        };
    }

    private async Task<X509Certificate2> UserAsync(string roles, string? traits = null)
    {
        var user = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], roles, traits);
        return (await Cluster.LoginAsync(user)).Certificate;
    }

    [Fact]
    public async Task StolenAgentCertificate_GetsNoDbCertForPostgresNorForAMadeUpDatabase_WhilePsqlThroughTheAgentStillWorks()
    {
        var developer = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(developer, "pg1", "alice", "app");
        var (code, text) = await Cluster.PsqlAsync(creds, "SELECT current_user");
        Assert.True(code == 0, text + "\n" + Cluster.AgentLog);
        Assert.Equal("alice", text.Trim());

        using var agentCert = AgentCertificate(Cluster);
        using var stolen = Cluster.Api(agentCert);
        var user = creds.Certificate;
        async Task<(HttpStatusCode Status, string Body)> AskAsync(DbCertificateRequest request)
        {
            var response = await stolen.PostAsJsonAsync("/v1/db-certs", request, AuthApiJsonContext.Default.DbCertificateRequest);
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.IsSuccessStatusCode ? body : JsonSerializer.Deserialize(body, AuthApiJsonContext.Default.ErrorResponse)!.Error);
        }

        var superuserNoUser = await AskAsync(DbCert("pg1", "postgres", null));
        var superuserWithUser = await AskAsync(DbCert("pg1", "postgres", user));
        var madeUp = await AskAsync(DbCert("no-such-db", "alice", user));
        var bounded = await AskAsync(DbCert("pg1", "alice", user));

        Assert.True(superuserNoUser.Status == HttpStatusCode.Forbidden, superuserNoUser.Body);
        Assert.Contains("no user certificate", superuserNoUser.Body, StringComparison.Ordinal);
        Assert.True(superuserWithUser.Status == HttpStatusCode.Forbidden, superuserWithUser.Body);
        Assert.Contains("may not use db user \"postgres\"", superuserWithUser.Body, StringComparison.Ordinal);
        Assert.True(madeUp.Status == HttpStatusCode.Forbidden, madeUp.Body);
        Assert.Contains("not registered by any agent", madeUp.Body, StringComparison.Ordinal);
        // What the credential still reaches is what the agent's job is: alice on pg1, for a user who may use alice.
        Assert.True(bounded.Status == HttpStatusCode.OK, bounded.Body);
    }

    [Fact]
    public async Task ProxyCertificate_CannotListAFakeDatabase_NorForgeAuditEvents_AndSearchShowsTheRealSource()
    {
        var token = Regex.Match(await Cluster.AdminAsync("tokens", "add", "--role", "proxy", "--ttl", "10m"), "token: (\\S+)").Groups[1].Value;
        using var key = KeyPair.Generate();
        var joined = await Cluster.Api().PostAsJsonAsync("/v1/join", new JoinRequest
        {
            Token = token, HostId = "rogue-proxy", Role = "proxy", PublicKeyPem = key.ExportPublicKeyPem(), DnsNames = ["rogue"], Ips = ["127.0.0.1"],
        }, AuthApiJsonContext.Default.JoinRequest);
        var issued = JsonSerializer.Deserialize(await joined.Content.ReadAsStringAsync(), AuthApiJsonContext.Default.HostCertificateResponse)!;
        using var proxyCert = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        using var proxy = Cluster.Api(proxyCert);

        var fake = new InventoryReport
        {
            Databases = [new DatabaseEntry { Name = "pg-fake", Protocol = "postgres", Labels = new() { ["env"] = "dev" }, Agents = 1 }],
            TtlSeconds = 600,
        };
        Assert.Equal(HttpStatusCode.NoContent, (await proxy.PostAsJsonAsync("/v1/inventory", fake, AuthApiJsonContext.Default.InventoryReport)).StatusCode);
        var now = DateTimeOffset.UtcNow;
        var marker = "forged_" + Guid.NewGuid().ToString("N")[..8];
        var forged = await proxy.PostAsJsonAsync("/v1/audit/events", new List<AuditEvent>
        {
            new() { Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code, User = "alice", DbService = "pg1", Query = "SELECT '" + marker + "'", AgentId = "edge-agent-1" },
        }, AuditJsonContext.Default.ListAuditEvent);
        var upload = JsonSerializer.Deserialize(await forged.Content.ReadAsStringAsync(), AuthApiJsonContext.Default.AuditUploadResponse)!;
        Assert.Equal((1, 0, 1), (upload.Received, upload.Stored, upload.Refused));

        using var developer = Cluster.Api(await UserAsync("developer", "db_users=alice"));
        var listed = JsonSerializer.Deserialize(await developer.GetStringAsync("/v1/databases"), AuthApiJsonContext.Default.DatabasesResponse)!;
        Assert.Contains(listed.Databases, d => d.Name == "pg1");
        Assert.DoesNotContain(listed.Databases, d => d.Name == "pg-fake");

        // A real statement through the agent is found with the agent as its source; the forged one is not there.
        var user = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var real = "real_" + Guid.NewGuid().ToString("N")[..8];
        var (code, text) = await Cluster.PsqlAsync(creds, $"SELECT '{real}'");
        Assert.True(code == 0, text);
        using var auditor = Cluster.Api(await UserAsync("admin"));
        List<AuditEvent> found = [];
        for (var attempt = 0; attempt < 150 && found.Count == 0; attempt++)
        {
            found = JsonSerializer.Deserialize(await auditor.GetStringAsync($"/v1/audit/search?since=1h&contains={real}"), AuditJsonContext.Default.ListAuditEvent)!;
            if (found.Count == 0)
            {
                await Task.Delay(200);
            }
        }
        Assert.Contains(found, e => e.AgentId == "edge-agent-1" && e.Query!.Contains(real, StringComparison.Ordinal));
        var forgedFound = JsonSerializer.Deserialize(await auditor.GetStringAsync($"/v1/audit/search?since=1h&contains={marker}"), AuditJsonContext.Default.ListAuditEvent)!;
        Assert.Empty(forgedFound);
    }
}

/// <summary>
/// <c>ferryd admin hosts rm</c> on the real standalone agent: its certificate stops working on the auth API at once, the
/// proxy closes its tunnel (the proxy follows host removals on the lock watch), so its live sessions end, its reconnects
/// are refused, and a new connection gets a precise refusal that is audited.
/// </summary>
[Collection("standalone agent")]
public sealed class HostRemovalEndToEndTests(StandaloneClusterFixture fixture) : IClassFixture<StandaloneClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task HostsRm_StopsTheStandaloneAgentsCertificate_EndsItsSessions_AndRefusesNewOnesPrecisely()
    {
        var user = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var marker = "removed_" + Guid.NewGuid().ToString("N")[..8];
        var running = Cluster.PsqlAsync(creds, $"SELECT pg_sleep(600) AS {marker}");
        for (var i = 0; i < 400; i++)
        {
            if ((await Cluster.Postgres.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{marker}%' AND pid <> pg_backend_pid()")).Trim() != "0")
            {
                break;
            }
            await Task.Delay(50);
        }

        var ls = await Cluster.AdminAsync("hosts", "ls");
        Assert.Matches(@"edge-agent-1\s+agent\s", ls);
        Assert.Contains("CERT EXPIRES", ls, StringComparison.Ordinal);
        using var agentCert = HostScopeEndToEndTests.AgentCertificate(Cluster);
        using var agent = Cluster.Api(agentCert);
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/roles")).StatusCode);

        var removed = await Cluster.AdminAsync("hosts", "rm", "edge-agent-1");
        Assert.Contains("edge-agent-1 removed", removed, StringComparison.Ordinal);

        using var key = KeyPair.Generate();
        var roles = await agent.GetAsync("/v1/roles");
        Assert.Equal(HttpStatusCode.Unauthorized, roles.StatusCode);
        Assert.Contains("not registered", await roles.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.PostAsJsonAsync("/v1/hosts/renew", new HostRenewRequest { PublicKeyPem = key.ExportPublicKeyPem() }, AuthApiJsonContext.Default.HostRenewRequest)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.PostAsJsonAsync("/v1/db-certs", HostScopeEndToEndTests.DbCert("pg1", "alice", null), AuthApiJsonContext.Default.DbCertificateRequest)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/v1/locks")).StatusCode);
        Assert.DoesNotContain("edge-agent-1", await Cluster.AdminAsync("hosts", "ls"), StringComparison.Ordinal);
        // The running agent itself is refused too: its next registration fails (it says so in its log).
        for (var i = 0; i < 300 && !Cluster.AgentLog.Contains("not registered", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
        Assert.Contains("not registered", Cluster.AgentLog, StringComparison.Ordinal);

        // The proxy closed the agent's tunnel: the running query's session ended (long before its 600 s sleep).
        var (code, output) = await running.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.NotEqual(0, code);
        Assert.Contains("closed 1 tunnel(s) of agent edge-agent-1", Cluster.FerrydLog, StringComparison.Ordinal);
        // Its reconnects are refused, and a new connection is refused naming why.
        for (var i = 0; i < 300 && !Cluster.FerrydLog.Contains("is not registered (removed with `ferryd admin hosts rm`, or never joined)", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
        Assert.Contains("is not registered (removed with `ferryd admin hosts rm`, or never joined)", Cluster.FerrydLog, StringComparison.Ordinal);
        (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("database \"pg1\" is not available: no agent serving it is connected: no agent registered it", output, StringComparison.Ordinal);

        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        var found = "";
        for (var i = 0; i < 200 && !found.Contains("no agent registered it", StringComparison.Ordinal); i++)
        {
            found = await api.GetStringAsync($"/v1/audit/search?since=1h&user={Uri.EscapeDataString(user.User)}&type=db.session.start");
            await Task.Delay(100);
        }
        Assert.Contains("TDB00W", found, StringComparison.Ordinal);
        Assert.Contains("no agent registered it", found, StringComparison.Ordinal);
    }
}
