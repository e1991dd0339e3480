using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Audit;
using System.Security.Cryptography.X509Certificates;
using Ferry.Auth.Server;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

/// <summary>
/// Every endpoint that reads a body, called by the caller it expects (anyone, a user, an agent, a proxy) with
/// variations of a complete body: each field left out, null, of each other JSON kind, empty, very long, a huge or
/// negative number; each entry of a list the same way; and bodies that are not objects at all. None may answer 500
/// (a 500 is a request the server did not understand as wrong: the bug class of a null or a missing field reaching
/// code that takes a value), and the server answers a well-formed request afterwards.
/// </summary>
public sealed class ApiBodySweepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task NoVariationOfAnyRequestBody_IsAnswered500()
    {
        await using var callers = await Callers.StartAsync(_dir.Path);
        var (server, user, agent) = (callers.Server, callers.User, callers.Agent);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy1", "proxy");
        using var proxy = AuthTestHost.Client(server, proxyCert);
        using var anyone = AuthTestHost.Client(server);
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Accepted);

        var now = DateTimeOffset.UtcNow;
        var auditEvents = JsonSerializer.SerializeToNode(new List<AuditEvent>
        {
            new()
            {
                Id = AuditEventId.New(now), Time = now, Type = AuditEventTypes.DbSessionQuery, Code = AuditEventKinds.DbSessionQuery.Code,
                User = "alice", DbService = "pg1", DbUser = "alice", DbName = "app", SessionId = "s1", Query = "SELECT 1", Roles = ["admin"],
                Details = new Dictionary<string, string> { ["k"] = "v" },
            },
        }, AuditJsonContext.Default.ListAuditEvent)!;

        // Samples with values the server takes where it checks them first, so that variations of one field reach the
        // code after the others' checks (a sample refused for its protocol never reads its labels).
        using var key = Ferry.Identity.KeyPair.Generate();
        var login = JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.LoginRequest);
        login["user"] = "alice";
        login["public_key_pem"] = key.ExportPublicKeyPem();
        login["ttl_seconds"] = 3600;
        var agentDatabases = JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.AgentDatabasesReport);
        JsonBodyVariants.Set(agentDatabases["databases"]![0]!, ("name", "pg1"), ("protocol", "postgres"));
        var inventory = JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.InventoryReport);
        JsonBodyVariants.Set(inventory["databases"]![0]!, ("name", "pg1"), ("protocol", "postgres"));
        inventory["tunnel_addr"] = "127.0.0.1:3024";
        var sessions = JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.LiveSessionsReport);
        JsonBodyVariants.Set(sessions["sessions"]![0]!, ("id", "s1"), ("user", "alice"), ("database", "pg1"), ("protocol", "postgres"), ("agent_id", "agent1"), ("client_addr", "127.0.0.1:5000"));
        var egress = JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.EgressReport);
        JsonBodyVariants.Set(egress["usage"]![0]!, ("user", "alice"), ("database", "pg1"), ("per_seconds", 3600));
        var accessRequest = JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.AccessRequestCreate);
        accessRequest["roles"] = new JsonArray("admin");
        accessRequest["resources"] = new JsonArray();
        accessRequest["duration_seconds"] = 600;
        var endSession = JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.SessionEndRequest);

        var endpoints = new (HttpClient Caller, string Path, JsonNode Body)[]
        {
            (anyone, "/v1/login", login),
            (user, "/v1/certs/user", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.UserCertificateRequest)),
            (anyone, "/v1/join", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.JoinRequest)),
            (agent, "/v1/hosts/renew", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.HostRenewRequest)),
            (agent, "/v1/db-certs", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.DbCertificateRequest)),
            (proxy, "/v1/inventory", inventory),
            (agent, "/v1/agents/databases", agentDatabases),
            (agent, "/v1/agents/sessions", sessions),
            (agent, "/v1/egress", egress),
            (agent, "/v1/audit/events", auditEvents),
            (anyone, "/v1/sso/none/login", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.SsoLoginRequest)),
            (anyone, "/v1/sso/result", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.SsoResultRequest)),
            (user, "/v1/mfa/devices", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.MfaDeviceRequest)),
            (user, "/v1/mfa/devices/confirm", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.MfaDeviceRequest)),
            (user, "/v1/mfa/devices/delete", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.MfaDeviceRequest)),
            (user, "/v1/access-requests", accessRequest),
            (user, "/v1/access-requests/01J0000000000000000000000/review", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.AccessRequestReview)),
            (user, "/v1/access-requests/01J0000000000000000000000/drop", JsonBodyVariants.Sample(AuthApiJsonContext.Default, AuthApiJsonContext.Default.AccessRequestDrop)),
            (user, "/v1/sessions/s1/end", endSession),
        };

        var failures = new List<string>();
        var sent = 0;
        foreach (var (caller, path, body) in endpoints)
        {
            var (failed, statuses) = await JsonBodyVariants.SweepAsync(path, body,
                variant => caller.PostAsync(path, new StringContent(variant, Encoding.UTF8, "application/json")));
            failures.AddRange(failed);
            sent += statuses.Values.Sum();

            // The caller is who the endpoint expects: the bodies reached the code that reads them (not all 401/403).
            Assert.True(statuses.Keys.Any(s => s is not (401 or 403)), $"{path}: only {string.Join(", ", statuses.Keys)}");
            Console.WriteLine($"{path}: {string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} bodies answered 5xx:\n{string.Join('\n', failures.Take(40))}");
        Assert.True(sent > 500, $"only {sent} bodies sent");
        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Accepted);
    }

    /// <summary>
    /// Every query parameter the API reads, each given odd values (empty, huge, negative, far past and future, very
    /// long, control characters, repeated): never a 500.
    /// </summary>
    [Fact]
    public async Task NoOddQueryValue_IsAnswered500()
    {
        await using var callers = await Callers.StartAsync(_dir.Path);
        var (user, agent) = (callers.User, callers.Agent);

        var endpoints = new (HttpClient Caller, string Path, string[] Parameters)[]
        {
            (user, "/v1/audit/search", ["since", "until", "user", "db", "type", "contains", "session_id", "limit"]),
            (user, "/v1/audit/sessions/s1", ["since", "until", "limit"]),
            (user, "/v1/access-requests", ["state"]),
            (user, "/v1/databases", ["labels"]),
            (user, "/v1/sso/callback", ["state", "code", "error", "error_description"]),
            (agent, "/v1/locks", ["since"]),
        };

        var failures = new List<string>();
        foreach (var (caller, path, parameters) in endpoints)
        {
            failures.AddRange(await JsonBodyVariants.QuerySweepAsync(path, parameters, caller.GetAsync));
        }

        Assert.True(failures.Count == 0, $"{failures.Count} answered 5xx:\n{string.Join('\n', failures.Take(40))}");
    }

    /// <summary>A started auth server with a signed-in admin user (alice) and a joined agent, each with its HTTPS client.</summary>
    private sealed class Callers : IAsyncDisposable
    {
        private Callers(AuthServer server, X509Certificate2 userCert, X509Certificate2 agentCert)
        {
            Server = server;
            _userCert = userCert;
            _agentCert = agentCert;
            User = AuthTestHost.Client(server, userCert);
            Agent = AuthTestHost.Client(server, agentCert);
        }

        private readonly X509Certificate2 _userCert;
        private readonly X509Certificate2 _agentCert;

        public AuthServer Server { get; }

        public HttpClient User { get; }

        public HttpClient Agent { get; }

        public static async Task<Callers> StartAsync(string dataDir)
        {
            var (password, secret, _) = await AdminRunner.AddUserAsync(dataDir, "alice", "admin");
            var server = await AuthTestHost.StartAsync(dataDir);
            var userCert = await HostScope.LoginAsync(server, "alice", password, secret);
            var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
            return new Callers(server, userCert, agentCert);
        }

        public async ValueTask DisposeAsync()
        {
            User.Dispose();
            Agent.Dispose();
            _userCert.Dispose();
            _agentCert.Dispose();
            await Server.DisposeAsync();
        }
    }
}

/// <summary>A flood of malformed requests writes a bounded number of audit events whose counts add up.</summary>
public sealed class MalformedRequestAuditTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AFloodOfMalformedBodies_IsAuditedOnceAtOnce_AndOnceAsASummaryPerWindow()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var anyone = AuthTestHost.Client(server);

        for (var i = 0; i < 25; i++)
        {
            using var response = await anyone.PostAsync("/v1/join", new StringContent("{\"token\":", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(1, server.ClientAddress!.RequestRefusalAudit.Flush());
        await server.FlushAuditAsync();
        var events = server.AuditStore.Search(new AuditQuery { Type = AuditEventTypes.ApiRequest }).ToList();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(("TJ006W", "127.0.0.1", "bad_request"), (e.Code, e.ClientAddr, e.Details!["reason"])));
        Assert.Equal(25, events.Sum(e => long.Parse(e.Details!["count"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Single(events, e => e.Details!.ContainsKey("summary"));
        Assert.All(events, e => Assert.Contains("POST /v1/join", e.Error, StringComparison.Ordinal));
    }
}
