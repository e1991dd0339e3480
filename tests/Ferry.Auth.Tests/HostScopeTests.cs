using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

/// <summary>
/// What a host certificate reaches: db-client certificates only for the agent's own databases and the db users a
/// forwarded user certificate allows; inventory and audit events only for what the host may report; nothing once
/// the host is removed.
/// </summary>
public sealed class HostScopeTests : IDisposable
{
    private const string DevRole = """
        kind: role
        name: dev
        allow:
          db_labels: { env: dev }
          db_users: ["{{internal.db_users}}"]
          db_names: [app]
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<(string Password, string Secret)> AddDevAsync(string name)
    {
        var role = Path.Combine(_dir.Path, "dev.yaml");
        await File.WriteAllTextAsync(role, DevRole);
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", role)).Code);
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, name, "dev", "--traits", "db_users=" + name);
        return (password, secret);
    }

    private static async Task<List<AuditEvent>> SearchUntilAsync(HttpClient admin, string url, Func<List<AuditEvent>, bool> done)
    {
        List<AuditEvent> list = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var response = await admin.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            list = JsonSerializer.Deserialize(body, AuditJsonContext.Default.ListAuditEvent)!;
            if (done(list))
            {
                return list;
            }

            await Task.Delay(100);
        }

        return list;
    }

    [Fact]
    public async Task DbCerts_OnlyForTheAgentsOwnDatabase_AndTheDbUsersTheForwardedUserCertificateAllows()
    {
        var (password, secret) = await AddDevAsync("dan");
        var (adminPassword, adminSecret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var otherCert = await AuthTestHost.JoinAsync(server, "agent2", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        using var other = AuthTestHost.Client(server, otherCert);
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Accepted);
        Assert.Equal(["pg2"], (await HostScope.RegisterAsync(other, ("pg2", "dev"))).Accepted);
        using var dan = await HostScope.LoginAsync(server, "dan", password, secret);

        async Task<HttpResponseMessage> AskAsync(HttpClient client, DbCertificateRequest request) =>
            await client.PostAsJsonAsync("/v1/db-certs", request, AuthApiJsonContext.Default.DbCertificateRequest);

        var allowed = await AskAsync(agent, HostScope.DbCert("pg1", "dan", dan, "app"));
        var superuser = await AskAsync(agent, HostScope.DbCert("pg1", "postgres", dan, "app"));
        var otherDbName = await AskAsync(agent, HostScope.DbCert("pg1", "dan", dan, "postgres"));
        var madeUp = await AskAsync(agent, HostScope.DbCert("made-up", "dan", dan, "app"));
        var notMine = await AskAsync(agent, HostScope.DbCert("pg2", "dan", dan, "app"));
        var noUser = await AskAsync(agent, HostScope.DbCert("pg1", "dan", null, "app"));
        var notAUserCert = await AskAsync(agent, HostScope.DbCert("pg1", "dan", agentCert, "app"));

        var issued = await AuthTestHost.ReadAsync(allowed, AuthApiJsonContext.Default.DbCertificateResponse);
        using (var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(issued.CertificatePem))
        {
            Assert.Equal("CN=dan", certificate.Subject);
        }
        Assert.Equal(HttpStatusCode.Forbidden, superuser.StatusCode);
        Assert.Contains("may not use db user \"postgres\"", await AuthTestHost.ErrorAsync(superuser), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, otherDbName.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, madeUp.StatusCode);
        Assert.Contains("not registered by any agent", await AuthTestHost.ErrorAsync(madeUp), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, notMine.StatusCode);
        Assert.Contains("served by another agent", await AuthTestHost.ErrorAsync(notMine), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, noUser.StatusCode);
        Assert.Contains("no user certificate", await AuthTestHost.ErrorAsync(noUser), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, notAUserCert.StatusCode);

        // A lock on the user stops further certificates for them at once.
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--user", "dan", "--message", "offboarding")).Code);
        var locked = await AskAsync(agent, HostScope.DbCert("pg1", "dan", dan, "app"));
        Assert.Equal(HttpStatusCode.Forbidden, locked.StatusCode);

        using var adminCert = await HostScope.LoginAsync(server, "alice", adminPassword, adminSecret);
        using var admin = AuthTestHost.Client(server, adminCert);
        var denials = await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=cert.issue", l => l.Count(e => !e.Success) >= 7);
        Assert.Contains(denials, e => e.Code == AuditEventKinds.CertIssueDenied.Code && e.User == "dan" && e.Details!["db_user"] == "postgres" && e.Details["host_id"] == "agent1");
        Assert.Contains(denials, e => e.Code == AuditEventKinds.CertIssueDenied.Code && e.Details!["database"] == "made-up");
        Assert.Single(denials, e => e.Success && e.Details!["kind"] == "db-client");
    }

    [Fact]
    public async Task HealthCheckCerts_OnlyForAConfiguredProbeUser_OnTheAgentsOwnDatabase_WithoutAUserCertificate()
    {
        var (adminPassword, adminSecret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path, healthCheckUsers: ["ferry_probe"]);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var otherCert = await AuthTestHost.JoinAsync(server, "agent2", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        using var other = AuthTestHost.Client(server, otherCert);
        Assert.Equal(["my1"], (await HostScope.RegisterAsync(agent, ("my1", "dev"))).Accepted);
        Assert.Equal(["my2"], (await HostScope.RegisterAsync(other, ("my2", "dev"))).Accepted);

        async Task<HttpResponseMessage> ProbeAsync(HttpClient client, string database, string dbUser)
        {
            var request = HostScope.DbCert(database, dbUser, null);
            request.Purpose = DbCertificateRequest.HealthCheckPurpose;
            return await client.PostAsJsonAsync("/v1/db-certs", request, AuthApiJsonContext.Default.DbCertificateRequest);
        }

        var allowed = await ProbeAsync(agent, "my1", "ferry_probe");
        var root = await ProbeAsync(agent, "my1", "root");
        var notMine = await ProbeAsync(agent, "my2", "ferry_probe");
        var madeUp = await ProbeAsync(agent, "made-up", "ferry_probe");
        var badPurpose = HostScope.DbCert("my1", "ferry_probe", null);
        badPurpose.Purpose = "anything";
        var unknownPurpose = await agent.PostAsJsonAsync("/v1/db-certs", badPurpose, AuthApiJsonContext.Default.DbCertificateRequest);

        var issued = await AuthTestHost.ReadAsync(allowed, AuthApiJsonContext.Default.DbCertificateResponse);
        using (var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(issued.CertificatePem))
        {
            Assert.Equal("CN=ferry_probe", certificate.Subject);
            Assert.True(certificate.NotAfter - DateTime.UtcNow <= TimeSpan.FromMinutes(16));
        }
        Assert.Equal(HttpStatusCode.Forbidden, root.StatusCode);
        Assert.Contains("not a health-check user: list it in auth.health_check_users", await AuthTestHost.ErrorAsync(root), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, notMine.StatusCode);
        Assert.Contains("served by another agent", await AuthTestHost.ErrorAsync(notMine), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, madeUp.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknownPurpose.StatusCode);

        using var adminCert = await HostScope.LoginAsync(server, "alice", adminPassword, adminSecret);
        using var admin = AuthTestHost.Client(server, adminCert);
        var events = await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=cert.issue", l => l.Count(e => !e.Success) >= 3);
        Assert.Contains(events, e => e.Code == AuditEventKinds.CertIssueDenied.Code && e.Details!["db_user"] == "root" && e.Details["purpose"] == "health_check");
        Assert.Single(events, e => e.Success && e.Details!["purpose"] == "health_check" && e.Details["db_user"] == "ferry_probe");
    }

    [Fact]
    public async Task Inventory_ListsOnlyDatabasesAnAgentRegistered_WithTheAgentsLabels_AndASecondAgentCannotTakeAName()
    {
        var (password, secret) = await AddDevAsync("dan");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var intruderCert = await AuthTestHost.JoinAsync(server, "agent2", "agent");
        using var proxy = AuthTestHost.Client(server, proxyCert);
        using var agent = AuthTestHost.Client(server, agentCert);
        using var intruder = AuthTestHost.Client(server, intruderCert);

        Assert.Equal(["pg-dev", "pg-prod"], (await HostScope.RegisterAsync(agent, ("pg-dev", "dev"), ("pg-prod", "prod"))).Accepted);
        var claimed = await HostScope.RegisterAsync(intruder, ("pg-prod", "dev"), ("pg-own", "dev"));
        Assert.Equal(["pg-own"], claimed.Accepted);
        Assert.Contains("already served by agent \"agent1\"", claimed.Refused["pg-prod"], StringComparison.Ordinal);

        // The proxy's report adds a fake database and relabels prod as dev: neither shows.
        var report = new InventoryReport
        {
            Databases =
            [
                new DatabaseEntry { Name = "pg-dev", Protocol = "postgres", Labels = new() { ["env"] = "dev" }, Agents = 1 },
                new DatabaseEntry { Name = "pg-prod", Protocol = "postgres", Labels = new() { ["env"] = "dev" }, Agents = 1 },
                new DatabaseEntry { Name = "pg-fake", Protocol = "postgres", Labels = new() { ["env"] = "dev" }, Agents = 1 },
            ],
        };
        Assert.Equal(HttpStatusCode.NoContent, (await proxy.PostAsJsonAsync("/v1/inventory", report, AuthApiJsonContext.Default.InventoryReport)).StatusCode);

        using var danCert = await HostScope.LoginAsync(server, "dan", password, secret);
        using var dan = AuthTestHost.Client(server, danCert);
        var listed = await AuthTestHost.ReadAsync(await dan.GetAsync("/v1/databases"), AuthApiJsonContext.Default.DatabasesResponse);
        Assert.Equal(["pg-dev"], listed.Databases.Select(d => d.Name));
        Assert.Contains(server.Service.Inventory.Current(), d => d.Name == "pg-prod" && d.Labels["env"] == "prod");
    }

    [Fact]
    public async Task AuditUpload_KeepsOnlyWhatTheHostMayReport_StampedWithItsOwnId()
    {
        var (adminPassword, adminSecret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var proxy = AuthTestHost.Client(server, proxyCert);
        using var agent = AuthTestHost.Client(server, agentCert);
        await HostScope.RegisterAsync(agent, ("pg1", "dev"));
        var now = DateTimeOffset.UtcNow;
        AuditEvent Query(string db, string text, string? agentId = null) => new()
        {
            Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code,
            User = "alice", DbService = db, Query = text, AgentId = agentId,
        };

        var fromAgent = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/audit/events", new List<AuditEvent>
        {
            Query("pg1", "SELECT 'real'"),
            Query("pg-other", "SELECT 'not served here'"),
            Query("pg1", "SELECT 'claims another agent'", "agent9"),
            new() { Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.UserLogin, Code = AuditEventKinds.UserLoginSuccess.Code, User = "mallory" },
        }, AuditJsonContext.Default.ListAuditEvent), AuthApiJsonContext.Default.AuditUploadResponse);
        var fromProxy = await AuthTestHost.ReadAsync(await proxy.PostAsJsonAsync("/v1/audit/events", new List<AuditEvent>
        {
            Query("pg1", "SELECT 'forged by the proxy'"),
            new() { Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionStart, Code = AuditEventKinds.DbSessionStartDenied.Code, Success = false, Error = "no route", DbService = "nowhere" },
        }, AuditJsonContext.Default.ListAuditEvent), AuthApiJsonContext.Default.AuditUploadResponse);

        Assert.Equal((4, 1, 3), (fromAgent.Received, fromAgent.Stored, fromAgent.Refused));
        Assert.Equal((2, 1, 1), (fromProxy.Received, fromProxy.Stored, fromProxy.Refused));
        using var adminCert = await HostScope.LoginAsync(server, "alice", adminPassword, adminSecret);
        using var admin = AuthTestHost.Client(server, adminCert);
        var queries = await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=db.session.query", l => l.Count >= 1);
        var real = Assert.Single(queries);
        Assert.Equal(("SELECT 'real'", "agent1", "test"), (real.Query, real.AgentId, real.Cluster));
        var denied = await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=db.session.start", l => l.Count >= 1);
        Assert.Equal("proxy1", Assert.Single(denied).ServerId);
        Assert.Empty(await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=user.login&user=mallory", l => l.Count > 0));
        var refusals = await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=host.report", l => l.Count >= 2);
        Assert.Contains(refusals, e => e.Details!["host_id"] == "proxy1" && e.Details["reason"] == "audit_events_refused");
    }

    [Fact]
    public async Task AuditUpload_StoresCanonicalEventsAsTheyCame_ButEveryStampedOneAsStamped()
    {
        // Plain text, so each event's bytes are its canonical JSON: the store keeps those bytes only where the host stamp
        // (cluster, agent id, no server id) changed nothing; the others must be stored with the stamp, not as they came.
        var (adminPassword, adminSecret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        await HostScope.RegisterAsync(agent, ("pg1", "dev"));
        var now = DateTimeOffset.UtcNow;
        AuditEvent Query(string text, string? cluster, string? agentId) => new()
        {
            Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code,
            User = "alice", DbService = "pg1", Query = text, Cluster = cluster, AgentId = agentId,
        };

        var upload = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/audit/events", new List<AuditEvent>
        {
            Query("SELECT 1", "test", "agent1"),
            Query("SELECT 2", null, null),
            Query("SELECT 3", "elsewhere", "agent1"),
            Query("SELECT 4", "test", null),
        }, AuditJsonContext.Default.ListAuditEvent), AuthApiJsonContext.Default.AuditUploadResponse);

        Assert.Equal((4, 4, 0), (upload.Received, upload.Stored, upload.Refused));
        using var adminCert = await HostScope.LoginAsync(server, "alice", adminPassword, adminSecret);
        using var admin = AuthTestHost.Client(server, adminCert);
        var queries = await SearchUntilAsync(admin, "/v1/audit/search?since=1h&type=db.session.query", l => l.Count >= 4);
        Assert.Equal(
            [("SELECT 1", "test", "agent1"), ("SELECT 2", "test", "agent1"), ("SELECT 3", "test", "agent1"), ("SELECT 4", "test", "agent1")],
            queries.Select(q => (q.Query, q.Cluster, q.AgentId)).OrderBy(q => q.Query));
    }

    [Fact]
    public async Task HostsRm_MakesTheHostCertificateStopWorkingOnEveryHostEndpoint_AndHostsLsShowsIt()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var keepCert = await AuthTestHost.JoinAsync(server, "agent2", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        using var keep = AuthTestHost.Client(server, keepCert);
        await HostScope.RegisterAsync(agent, ("pg1", "dev"));
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/v1/roles")).StatusCode);

        var (lsCode, ls, lsErr) = await AdminRunner.RunAsync(_dir.Path, "hosts", "ls", "--format", "json");
        Assert.True(lsCode == 0, lsErr);
        var hosts = JsonSerializer.Deserialize(ls, AuthApiJsonContext.Default.ListHostInfo)!;
        var listed = Assert.Single(hosts, h => h.HostId == "agent1");
        Assert.Equal(("agent", "127.0.0.1"), (listed.Role, listed.Address));
        Assert.Equal(["agent1.example"], listed.Names);
        Assert.True(listed.CertificateExpires > DateTimeOffset.UtcNow && listed.LastSeenAt is not null);
        var (tableCode, table, _) = await AdminRunner.RunAsync(_dir.Path, "hosts", "ls");
        Assert.Equal(0, tableCode);
        Assert.Contains("CERT EXPIRES", table, StringComparison.Ordinal);

        var (rmCode, rm, rmErr) = await AdminRunner.RunAsync(_dir.Path, "hosts", "rm", "agent1");
        Assert.True(rmCode == 0, rmErr);
        Assert.Contains("agent1 removed", rm, StringComparison.Ordinal);

        using var key = KeyPair.Generate();
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/v1/roles")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.GetAsync("/v1/locks")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.PostAsJsonAsync("/v1/hosts/renew", new HostRenewRequest { PublicKeyPem = key.ExportPublicKeyPem() }, AuthApiJsonContext.Default.HostRenewRequest)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.PostAsJsonAsync("/v1/db-certs", HostScope.DbCert("pg1", "dan", null), AuthApiJsonContext.Default.DbCertificateRequest)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.PostAsJsonAsync("/v1/audit/events", new List<AuditEvent>(), AuditJsonContext.Default.ListAuditEvent)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.PostAsJsonAsync("/v1/agents/databases", HostScope.Databases(("pg1", "dev")), AuthApiJsonContext.Default.AgentDatabasesReport)).StatusCode);
        Assert.Contains("not registered", await AuthTestHost.ErrorAsync(await agent.GetAsync("/v1/roles")), StringComparison.Ordinal);
        // Its database names are free again; the other agent carries on.
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(keep, ("pg1", "dev"))).Accepted);
        Assert.Equal(HttpStatusCode.OK, (await keep.GetAsync("/v1/roles")).StatusCode);
        Assert.Equal(1, (await AdminRunner.RunAsync(_dir.Path, "hosts", "rm", "agent1")).Code);
    }
}
