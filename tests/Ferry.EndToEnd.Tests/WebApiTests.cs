using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The web UI's API against the real AOT <c>ferryd</c>, through the proxy's port 3080 as a browser reaches it (cookies,
/// CSRF header), with real PostgreSQL and MariaDB behind the agent: log in, list databases, open consoles, run and
/// cancel queries, find the console's session in the audit, and see the agent refuse a db user the roles do not allow.
/// </summary>
public sealed partial class WebApiTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    /// <summary>A browser-like client on the proxy port: keeps cookies, trusts any server certificate (the test pins nothing).</summary>
    private sealed partial class Browser : IDisposable
    {
        private readonly HttpClient _http;

        public Browser(int port)
        {
            Cookies = new CookieContainer();
            var handler = new SocketsHttpHandler
            {
                CookieContainer = Cookies,
                UseCookies = true,
                AllowAutoRedirect = false,
                SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
            };
            _http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(120) };
        }

        public CookieContainer Cookies { get; }

        public string? Csrf { get; set; }

        public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

        public async Task<HttpResponseMessage> PostAsync(string path, JsonNode? body = null, bool csrf = true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = new StringContent(body?.ToJsonString() ?? "{}", Encoding.UTF8, "application/json"),
            };
            if (csrf && Csrf is not null)
            {
                request.Headers.Add("X-Ferry-Csrf", Csrf);
            }

            return await _http.SendAsync(request);
        }

        public void Dispose() => _http.Dispose();
    }

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private async Task<(Browser Browser, FerryCluster.UserSecrets User)> SignInAsync(string name, string roles = "developer", string traits = "db_users=alice;db_names=app")
    {
        var user = await Cluster.AddUserAsync(name, roles, traits);
        var browser = new Browser(Cluster.ProxyPort);
        var login = await browser.PostAsync("/web/api/login", new JsonObject
        {
            ["user"] = user.User,
            ["password"] = user.Password,
            ["otp"] = Totp.Code(user.TotpSecret, DateTimeOffset.UtcNow),
        }, csrf: false);
        var answer = await JsonAsync(login);
        browser.Csrf = answer["csrf_token"]!.GetValue<string>();
        return (browser, user);
    }

    private static async Task<string> OpenConsoleAsync(Browser browser, string database, string dbUser, string dbName)
    {
        var opened = await JsonAsync(await browser.PostAsync("/web/api/consoles", new JsonObject { ["database"] = database, ["db_user"] = dbUser, ["db_name"] = dbName }));
        return opened["console_id"]!.GetValue<string>();
    }

    private static async Task<JsonNode> QueryAsync(Browser browser, string console, string sql) =>
        await JsonAsync(await browser.PostAsync($"/web/api/consoles/{console}/query", new JsonObject { ["sql"] = sql }));

    [Fact]
    public async Task Login_ThroughTheProxyPort_SetsAHostOnlySecureCookie_AndListsTheDatabasesOfTheRoles()
    {
        var (browser, _) = await SignInAsync("webann");
        using var _b = browser;

        var cookie = Assert.Single(browser.Cookies.GetCookies(new Uri($"https://127.0.0.1:{Cluster.ProxyPort}/")).Cast<Cookie>(), c => c.Name == "__Host-ferry_web");
        Assert.True(cookie.Secure);
        Assert.True(cookie.HttpOnly);
        Assert.Equal("/", cookie.Path);

        using var list = await browser.GetAsync("/web/api/databases");
        Assert.Equal("no-store", list.Headers.CacheControl?.ToString());
        Assert.Contains("frame-ancestors 'none'", string.Join(";", list.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        var databases = (await JsonAsync(list)).AsArray();
        var names = databases.Select(d => d!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("pg1", names);
        Assert.Contains("my1", names);
        Assert.DoesNotContain("pgprod", names); // the developer role denies env: prod
        var pg1 = databases.First(d => d!["name"]!.GetValue<string>() == "pg1")!;
        Assert.Equal("postgres", pg1["protocol"]!.GetValue<string>());
        Assert.Contains("alice", pg1["db_users"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Contains("app", pg1["db_names"]!.AsArray().Select(u => u!.GetValue<string>()));
        Assert.Equal("healthy", pg1["health"]!.GetValue<string>());
        Assert.StartsWith("ferry db connect pg1", pg1["connect"]!["ferry"]!.GetValue<string>(), StringComparison.Ordinal);

        using var filtered = await browser.GetAsync("/web/api/databases?labels=env=staging");
        Assert.Empty((await JsonAsync(filtered)).AsArray());
    }

    [Fact]
    public async Task PostgresConsole_RunsAQuery_CancelsPgSleep_AndItsSessionIsInTheAudit()
    {
        var (browser, user) = await SignInAsync("webpg");
        using var _b = browser;
        var console = await OpenConsoleAsync(browser, "pg1", "alice", "app");

        var result = await QueryAsync(browser, console, "SELECT 1 AS one, 'web console' AS two, NULL AS three");
        Assert.Equal(["one", "two", "three"], result["columns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("int4", result["columns"]![0]!["type"]!.GetValue<string>());
        var row = result["rows"]![0]!.AsArray();
        Assert.Equal("1", row[0]!.GetValue<string>());
        Assert.Equal("web console", row[1]!.GetValue<string>());
        Assert.Null(row[2]);
        Assert.Equal("SELECT 1", result["tag"]!.GetValue<string>());

        var error = await QueryAsync(browser, console, "SELECT * FROM no_such_table");
        Assert.Equal("42P01", error["error"]!["code"]!.GetValue<string>());

        // Cancel: the sleep runs in the console while cancel is sent (again, until the statement has ended).
        var sleeping = QueryAsync(browser, console, "SELECT pg_sleep(30)");
        for (var i = 0; i < 300 && !sleeping.IsCompleted; i++)
        {
            using var cancel = await browser.PostAsync($"/web/api/consoles/{console}/cancel");
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            await Task.WhenAny(sleeping, Task.Delay(100));
        }

        var cancelled = await sleeping;
        Assert.Equal("57014", cancelled["error"]!["code"]!.GetValue<string>()); // query_canceled

        // The console's session is audited like psql's: its queries under the user, on pg1.
        using var auditor = await AuditorAsync();
        var events = await SearchAsync(auditor, $"user={user.User}&db=pg1&type=db.session.query");
        var query = Assert.Single(events, e => e["details"]?["query"]?.GetValue<string>() == "SELECT 1 AS one, 'web console' AS two, NULL AS three"
            || e["query"]?.GetValue<string>() == "SELECT 1 AS one, 'web console' AS two, NULL AS three");
        var sessionId = query["session_id"]!.GetValue<string>();
        var start = await SearchAsync(auditor, $"session_id={sessionId}&type=db.session.start");
        Assert.Contains(start, e => e["success"]?.GetValue<bool>() == true && e["db_user"]?.GetValue<string>() == "alice");
    }

    [Fact]
    public async Task MySqlConsole_RunsAQuery_AndCancelsSleepWithKillQueryThroughFerry()
    {
        var (browser, _) = await SignInAsync("webmy");
        using var _b = browser;
        var console = await OpenConsoleAsync(browser, "my1", "alice", "app");

        var result = await QueryAsync(browser, console, "SELECT 41 + 1 AS answer, 'x' AS s, NULL AS n");
        Assert.Equal(["answer", "s", "n"], result["columns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("42", result["rows"]![0]![0]!.GetValue<string>());
        Assert.Null(result["rows"]![0]![2]);

        var error = await QueryAsync(browser, console, "SELECT * FROM no_such_table");
        Assert.Equal("1146", error["error"]!["code"]!.GetValue<string>());

        var sleeping = QueryAsync(browser, console, "SELECT SLEEP(30) AS slept");
        for (var i = 0; i < 300 && !sleeping.IsCompleted; i++)
        {
            using var cancel = await browser.PostAsync($"/web/api/consoles/{console}/cancel");
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            await Task.WhenAny(sleeping, Task.Delay(100));
        }

        var killed = await sleeping;
        // KILL QUERY makes SLEEP() return 1 (interrupted) rather than 0, or the statement fail with 1317.
        Assert.True(killed["error"]?["code"]?.GetValue<string>() == "1317" || killed["rows"]?[0]?[0]?.GetValue<string>() == "1", killed.ToJsonString());

        // The console still works after the cancel.
        var after = await QueryAsync(browser, console, "SELECT 'still here'");
        Assert.Equal("still here", after["rows"]![0]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Console_ForADbUserTheRolesDoNotAllow_GetsTheAgentsRefusal()
    {
        var (browser, _) = await SignInAsync("webdeny");
        using var _b = browser;
        using var refused = await browser.PostAsync("/web/api/consoles", new JsonObject { ["database"] = "pg1", ["db_user"] = "postgres", ["db_name"] = "app" });
        var body = await JsonAsync(refused, HttpStatusCode.Forbidden);
        Assert.Equal("refused", body["code"]!.GetValue<string>());
        Assert.Contains("denied", body["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_WithoutTheCsrfHeader_AreRefused_AndLogout_EndsTheSessionAndItsConsoles()
    {
        var (browser, _) = await SignInAsync("weblogout");
        using var _b = browser;
        var console = await OpenConsoleAsync(browser, "pg1", "alice", "app");

        using var noCsrf = await browser.PostAsync($"/web/api/consoles/{console}/query", new JsonObject { ["sql"] = "SELECT 1" }, csrf: false);
        Assert.Equal("csrf", (await JsonAsync(noCsrf, HttpStatusCode.Forbidden))["code"]!.GetValue<string>());

        var csrf = browser.Csrf;
        using var logout = await browser.PostAsync("/web/api/logout");
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var session = await browser.GetAsync("/web/api/session");
        Assert.Equal(HttpStatusCode.Unauthorized, session.StatusCode);
        using var query = await browser.PostAsync($"/web/api/consoles/{console}/query", new JsonObject { ["sql"] = "SELECT 1" });
        Assert.Equal(HttpStatusCode.Unauthorized, query.StatusCode);
        Assert.NotNull(csrf);
    }

    private async Task<HttpClient> AuditorAsync()
    {
        var auditor = await Cluster.AddUserAsync("webauditor" + Guid.NewGuid().ToString("N")[..6], "admin");
        var creds = await Cluster.LoginAsync(auditor);
        return Cluster.Api(creds.Certificate);
    }

    private static async Task<List<JsonNode>> SearchAsync(HttpClient api, string query)
    {
        for (var attempt = 0; ; attempt++)
        {
            var body = await api.GetStringAsync("/v1/audit/search?since=1h&" + query);
            var events = JsonNode.Parse(body)!.AsArray().Select(e => e!).ToList();
            if (events.Count > 0 || attempt >= 50)
            {
                return events;
            }

            await Task.Delay(200); // the agent's events reach the store through the spool
        }
    }
}
