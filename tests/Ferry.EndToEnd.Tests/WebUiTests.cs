using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Issue 23's proof in a real headless Chromium against the real AOT <c>ferryd</c>, PostgreSQL and MariaDB: the pages
/// are served through the proxy port under the strict CSP; a user signs in with password + TOTP, opens a console,
/// runs a query, pages through the grid, exports CSV, sees database errors as the database gave them, cancels
/// <c>pg_sleep(30)</c> and <c>SELECT SLEEP(30)</c>, browses the schema; a denied user sees the refusal; an access
/// request is made and approved in the browser; an auditor finds the session and plays it back; a security key is
/// registered and used to sign in. No console request carries SQL in its URL.
/// </summary>
public sealed class WebUiTests(WebUiClusterFixture fixture, ITestOutputHelper output) : IClassFixture<WebUiClusterFixture>
{
    public const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private FerryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task WebPages_AreServedThroughTheProxyPort_WithTheStrictCsp_AndNoInlineScriptOrStyle()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        })
        { BaseAddress = new Uri($"https://127.0.0.1:{Cluster.ProxyPort.ToString(CultureInfo.InvariantCulture)}") };

        using var root = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/web/", root.Headers.Location?.OriginalString);

        using var index = await http.GetAsync(new Uri("/web/", UriKind.Relative));
        var html = await index.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal(Csp, string.Join(", ", index.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("DENY", string.Join(", ", index.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("nosniff", string.Join(", ", index.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", string.Join(", ", index.Headers.GetValues("Referrer-Policy")));
        Assert.Contains("<script defer src=\"assets/app.js\"></script>", html);
        // No inline script (every <script> has a src) and no inline style.
        Assert.Equal(html.Split("<script").Length - 1, html.Split("<script defer src=").Length - 1);
        Assert.DoesNotContain("style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);

        using var js = await http.GetAsync(new Uri("/web/assets/app.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Contains("javascript", js.Content.Headers.ContentType?.MediaType ?? "");
        var bundle = await js.Content.ReadAsStringAsync();
        Assert.Contains("/web/api", bundle);
        Assert.DoesNotContain("innerHTML", bundle);
        using var css = await http.GetAsync(new Uri("/web/assets/app.css", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);

        using var session = await http.GetAsync(new Uri("/web/api/session", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, session.StatusCode);
        Assert.Contains("no-store", session.Headers.CacheControl?.ToString() ?? "");
    }

    [Fact]
    public async Task PasswordAndTotpLogin_PostgresConsole_RunsPagesExportsCancelsAndDescribes_WithoutSqlInAnyUrl()
    {
        var (_, user) = await fixture.UserAsync("webpg", "developer", "db_users=alice");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var sql = new JsonObject
        {
            ["rows"] = $"SELECT n, 'web-{tag}-' || n AS label, CASE WHEN n % 50 = 0 THEN NULL ELSE n * 2 END AS doubled FROM generate_series(1, 250) AS n",
            ["error"] = $"SELECT * FROM no_such_table_{tag}",
            ["sleep"] = "SELECT pg_sleep(30)",
            ["after_cancel"] = "SELECT 'still-alive' AS alive",
        };
        var r = await WebUiBrowser.RunAsync(Cluster, "console", new JsonObject
        {
            ["user"] = user, ["database"] = "pg1", ["db_user"] = "alice", ["db_name"] = "app", ["sql"] = sql,
            ["describe"] = "public.web_items", ["screenshots_prefix"] = "",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);

        Assert.Equal(user["user"]!.GetValue<string>(), r.Text("user"));
        Assert.Contains("pg1", r.Strings("databases"));
        Assert.Contains("my1", r.Strings("databases"));
        Assert.DoesNotContain("pgprod", r.Strings("databases"));
        var row = string.Join(" | ", r.Strings("database_row"));
        Assert.Contains("PostgreSQL", row);
        Assert.Contains("env=dev", row);
        Assert.Contains("alice", row);
        Assert.Contains(r.Strings("connect_commands"), c => c.Contains("ferry db connect pg1", StringComparison.Ordinal));

        Assert.Contains("alice", r.Text("console_bar"));
        Assert.Equal(["#", "n", "label", "doubled"], r.Strings("query", "columns"));
        Assert.Equal(100, r.Get("query", "rows").GetArrayLength());
        Assert.Equal(["1", "1", $"web-{tag}-1", "2"], r.Strings("query", "rows", "0"));
        Assert.Equal("NULL", r.Text("query", "rows", "49", "3"));
        Assert.Equal("Rows 1–100", r.Text("query", "range"));
        Assert.Contains("SELECT 250", r.Text("query", "status"));
        Assert.Equal("Rows 101–200", r.Text("next_page", "range"));
        Assert.Equal("101", r.Text("next_page", "rows", "0", "1"));

        Assert.Equal(251, r.Get("export", "lines").GetInt32());
        Assert.Equal("n,label,doubled", r.Text("export", "head", "0"));
        Assert.EndsWith(".csv", r.Text("export", "filename"));

        Assert.Equal("42P01", r.Text("db_error", "error", "code"));
        Assert.Contains($"relation \"no_such_table_{tag}\" does not exist", r.Text("db_error", "error", "text"));

        Assert.Equal("57014", r.Text("cancel", "error", "code"));
        Assert.Contains("canceling statement due to user request", r.Text("cancel", "error", "text"));
        Assert.Equal("still-alive", r.Text("after_cancel", "rows", "0", "1"));

        Assert.Equal(sql["after_cancel"]!.GetValue<string>(), r.Text("history", "back1"));
        Assert.Equal("SELECT pg_sleep(30)", r.Text("history", "back2"));
        Assert.Equal("", r.Text("history", "forward"));
        Assert.Contains("ferry.console.history.pg1", r.Strings("history", "stored"));

        Assert.Contains(r.Get("schema_tables", "rows").EnumerateArray(), x => x.GetRawText().Contains("\"web_items\"", StringComparison.Ordinal));
        Assert.Contains(r.Get("schema_describe", "rows").EnumerateArray(), x => x.GetRawText() == "[\"id\",\"integer\",\"no\"]");
        Assert.Contains(r.Get("schema_databases", "rows").EnumerateArray(), x => x.GetRawText().Contains("\"app\"", StringComparison.Ordinal));
        Assert.Contains(r.Strings("schema_list"), x => x.Contains("web_items", StringComparison.Ordinal));

        AssertNoSqlInUrls(r, tag, "pg_sleep", "still-alive", "generate_series");
        AssertNoCspViolation(r);
    }

    [Fact]
    public async Task MySqlConsole_RunsAQuery_ShowsTheServersError_AndCancelsSleep()
    {
        var (_, user) = await fixture.UserAsync("webmy", "developer", "db_users=alice");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var sql = new JsonObject
        {
            ["rows"] = $"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 250) SELECT n, CONCAT('web-{tag}-', n) AS label, IF(n % 50 = 0, NULL, n * 2) AS doubled FROM s",
            ["error"] = $"SELECT * FROM no_such_table_{tag}",
            ["sleep"] = "SELECT SLEEP(30) AS slept",
            ["after_cancel"] = "SELECT 'still-alive' AS alive",
        };
        var r = await WebUiBrowser.RunAsync(Cluster, "console", new JsonObject
        {
            ["user"] = user, ["database"] = "my1", ["db_user"] = "alice", ["db_name"] = "app", ["sql"] = sql, ["describe"] = "web_items",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);

        Assert.Contains("MySQL", string.Join(" | ", r.Strings("database_row")));
        Assert.Equal(["#", "n", "label", "doubled"], r.Strings("query", "columns"));
        Assert.Equal(100, r.Get("query", "rows").GetArrayLength());
        Assert.Equal(["1", "1", $"web-{tag}-1", "2"], r.Strings("query", "rows", "0"));
        Assert.Equal("NULL", r.Text("query", "rows", "49", "3"));
        Assert.Equal("Rows 101–200", r.Text("next_page", "range"));
        Assert.Equal(251, r.Get("export", "lines").GetInt32());

        Assert.Equal("1146", r.Text("db_error", "error", "code"));
        Assert.Contains($"Table 'app.no_such_table_{tag}' doesn't exist", r.Text("db_error", "error", "text"));

        // KILL QUERY through Ferry: MariaDB ends SLEEP early, either with error 1317 or with SLEEP's own answer 1 ("interrupted";
        // 0 would mean it slept the whole 30 s).
        var cancelCode = r.Text("cancel", "error", "code");
        Assert.True(cancelCode == "1317" || r.Text("cancel", "rows", "0", "1") == "1", r.Text("cancel"));
        Assert.Equal("still-alive", r.Text("after_cancel", "rows", "0", "1"));

        Assert.Contains(r.Get("schema_tables", "rows").EnumerateArray(), x => x.GetRawText().Contains("\"web_items\"", StringComparison.Ordinal));
        Assert.Contains(r.Get("schema_describe", "rows").EnumerateArray(), x => x.GetRawText().StartsWith("[\"id\",\"int", StringComparison.Ordinal));

        AssertNoSqlInUrls(r, tag, "SLEEP", "still-alive", "RECURSIVE");
        AssertNoCspViolation(r);
    }

    [Fact]
    public async Task AUserDeniedADatabase_SeesTheClustersRefusal_InTheConsole()
    {
        var (_, user) = await fixture.UserAsync("webdeny", "developer", "db_users=alice");
        var r = await WebUiBrowser.RunAsync(Cluster, "denied", new JsonObject
        {
            ["user"] = user, ["database"] = "pgprod", ["db_user"] = "alice", ["db_name"] = "app", ["screenshots_prefix"] = "",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.DoesNotContain("pgprod", r.Strings("databases"));
        Assert.Contains("not among the databases your roles allow", r.Text("notice"));
        Assert.Equal("false", r.Text("open", "opened"));
        var refusal = r.Text("open", "error");
        // The cluster's own words (the auth service does not route a certificate to a database the roles cannot see).
        Assert.Contains("\"pgprod\" is not one your roles can see", refusal);
        AssertNoCspViolation(r);
    }

    [Fact]
    public async Task AccessRequest_MadeInTheBrowser_IsApprovedByAReviewerInTheBrowser()
    {
        var (_, requester) = await fixture.UserAsync("webreq", "prod-requester", "db_users=alice");
        var (_, reviewer) = await fixture.UserAsync("webrev", "prod-reviewer");
        var r = await WebUiBrowser.RunAsync(Cluster, "request-approve", new JsonObject
        {
            ["requester"] = requester, ["reviewer"] = reviewer, ["database"] = "pgprod",
            ["reason"] = "INC-4242 look at the stuck orders", ["review_reason"] = "ok for the incident", ["duration"] = "30m",
            ["screenshots_prefix"] = "",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains("pending", r.Text("created"));
        Assert.Contains("db/pgprod", string.Join(" ", r.Strings("pending_row")));
        Assert.Contains(requester["user"]!.GetValue<string>(), string.Join(" ", r.Strings("review_row")));
        Assert.Contains("INC-4242 look at the stuck orders", string.Join(" ", r.Strings("review_row")));
        Assert.Equal("approved", r.Text("final_state"));
        Assert.Contains("approve by " + reviewer["user"]!.GetValue<string>() + ": ok for the incident", string.Join(" ", r.Strings("final_row")));
        AssertNoCspViolation(r);
    }

    [Theory]
    [InlineData("pg1", "SELECT pg_sleep(30)", "42P01")]
    [InlineData("my1", "SELECT SLEEP(30) AS slept", "1146")]
    public async Task Auditor_FindsTheConsoleSession_AndPlaysItBack_InOrderWithRowsAndErrors(string database, string sleep, string errorCode)
    {
        var (_, user) = await fixture.UserAsync("webaud", "developer", "db_users=alice");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var sql = new JsonObject
        {
            ["rows"] = $"SELECT 'audit-{tag}' AS marker",
            ["error"] = $"SELECT * FROM missing_{tag}",
            ["sleep"] = sleep,
            ["after_cancel"] = $"SELECT 'after-{tag}' AS alive",
        };
        var console = await WebUiBrowser.RunAsync(Cluster, "console", new JsonObject
        {
            ["user"] = user, ["database"] = database, ["db_user"] = "alice", ["db_name"] = "app", ["sql"] = sql,
        }, output);
        Assert.True(console.Ok, console.Describe() + Cluster.FerrydLog);

        var (_, auditor) = await fixture.UserAsync("webauditor", "web-auditor");
        var r = await WebUiBrowser.RunAsync(Cluster, "audit", new JsonObject
        {
            ["user"] = auditor, ["search_user"] = user["user"]!.GetValue<string>(), ["expect_query"] = $"audit-{tag}",
            ["expect_in_playback"] = new JsonArray($"audit-{tag}", $"missing_{tag}", $"after-{tag}"),
            ["screenshots_prefix"] = database == "pg1" ? "" : null,
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains("user=" + user["user"]!.GetValue<string>(), r.Text("search_location"));

        var statements = r.Get("statements").EnumerateArray().Select(s => string.Join(" | ", s.EnumerateArray().Select(c => c.GetString()))).ToList();
        var marker = statements.FindIndex(s => s.Contains($"audit-{tag}", StringComparison.Ordinal));
        var error = statements.FindIndex(s => s.Contains($"missing_{tag}", StringComparison.Ordinal));
        var after = statements.FindIndex(s => s.Contains($"after-{tag}", StringComparison.Ordinal));
        Assert.True(marker >= 0 && error > marker && after > error, string.Join("\n", statements));
        Assert.Contains(errorCode, statements[error]);
        Assert.Contains("| 1 |", statements[marker]);
        Assert.Equal($"Played {statements.Count} statements.", r.Text("playback_status"));
        var screen = r.Text("screen");
        Assert.True(screen.IndexOf($"audit-{tag}", StringComparison.Ordinal) < screen.IndexOf($"missing_{tag}", StringComparison.Ordinal), screen);
        Assert.Contains("ERROR " + errorCode, screen);
        AssertNoCspViolation(r);
    }

    [Fact]
    public async Task SecurityKey_RegisteredOnTheAccountPage_SignsInAsTheSecondFactor()
    {
        var (_, user) = await fixture.UserAsync("webkey", "developer", "db_users=alice");
        var r = await WebUiBrowser.RunAsync(Cluster, "webauthn", new JsonObject
        {
            ["user"] = user, ["key_name"] = "yubi", ["screenshots_prefix"] = "", ["wrong_code_first"] = "000000",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        // A wrong one-time code in the re-authentication: ferryd refuses to start, the browser made no credential.
        Assert.Contains("confirming who you are failed", r.Text("wrong_code"), StringComparison.Ordinal);
        Assert.Equal(0, r.Get("credentials_after_wrong_code").GetInt32());
        Assert.Contains("Security key \"yubi\" registered", r.Text("register"));
        Assert.Equal(1, r.Get("credentials").GetInt32());
        Assert.Contains(r.Get("devices").EnumerateArray(), d => d.GetRawText().Contains("\"yubi\",\"Security key (WebAuthn)\"", StringComparison.Ordinal));
        Assert.Equal("true", r.Text("key_login", "ok"));
        Assert.Equal(user["user"]!.GetValue<string>(), r.Text("key_login", "user"));
        AssertNoCspViolation(r);
    }

    [Fact]
    public async Task SecurityKey_PassesSessionMfaForAConsole_WithoutACode_AndOnceRemovedOnTheAccountPage_IsRefusedAtSignIn_Audited()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (secrets, user) = await fixture.UserAsync("webkeymfa", "web-mfa", "db_users=alice");
        var r = await WebUiBrowser.RunAsync(Cluster, "webauthn-session", new JsonObject
        {
            ["user"] = user, ["key_name"] = "mfakey", ["database"] = "pg1", ["db_user"] = "alice", ["db_name"] = "app",
            ["sql"] = $"SELECT 'key-mfa-{tag}' AS marker", ["screenshots_prefix"] = "",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains("Security key \"mfakey\" registered", r.Text("register"), StringComparison.Ordinal);
        // The database asks for session MFA (the code field is there); the key answered it, no code was typed.
        Assert.Equal("true", r.Text("asks_for_code"));
        Assert.Equal("true", r.Text("open", "opened"));
        Assert.Contains($"key-mfa-{tag}", r.Get("query", "rows", "0").EnumerateArray().Select(c => c.GetString() ?? "")); // row number, marker
        // Removed on the account page: the list has no security key; the browser still holds the credential, and
        // ferryd neither offers it at sign-in nor accepts it.
        Assert.DoesNotContain("Security key", r.Text("devices_after_remove"), StringComparison.Ordinal);
        Assert.Equal(1, r.Get("credentials_in_authenticator").GetInt32());
        Assert.Equal(0, r.Get("removed_key_login", "allowed_by_server").GetInt32());
        Assert.Equal(401, r.Get("removed_key_login", "status").GetInt32());
        AssertNoCspViolation(r);

        // Audited: the key's registration, the console session's MFA by the key, its removal, and the refused sign-in.
        var admin = await Cluster.AddUserAsync("webkeyaudit" + tag[..6], "admin");
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        async Task<List<JsonNode>> Events(string type, Func<JsonNode, bool> match)
        {
            for (var attempt = 0; ; attempt++)
            {
                var found = JsonNode.Parse(await api.GetStringAsync($"/v1/audit/search?since=1h&user={secrets.User}&type={type}"))!.AsArray().Select(e => e!).Where(match).ToList();
                if (found.Count > 0 || attempt >= 50)
                {
                    return found;
                }

                await Task.Delay(200);
            }
        }

        Assert.NotEmpty(await Events("mfa.device.add", e => e["success"]?.GetValue<bool>() == true && e["details"]?["device"]?.GetValue<string>() == "mfakey"));
        Assert.NotEmpty(await Events("mfa.device.delete", e => e["details"]?["device"]?.GetValue<string>() == "mfakey" && e["details"]?["kind"]?.GetValue<string>() == "webauthn"));
        Assert.NotEmpty(await Events("user.login", e => e["success"]?.GetValue<bool>() == false));
    }

    [Fact]
    public async Task SecurityKey_WithAWrongPassword_DoesNotSignIn()
    {
        var (_, user) = await fixture.UserAsync("webkeybad", "developer", "db_users=alice");
        var r = await WebUiBrowser.RunAsync(Cluster, "webauthn", new JsonObject
        {
            ["user"] = user, ["key_name"] = "yubi", ["login_password"] = "not-the-password",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Equal("false", r.Text("key_login", "ok"));
        Assert.NotEmpty(r.Text("key_login", "error"));
    }

    [Fact]
    public async Task AdminPage_ListsUsers_ShowsTheLineAndColumnOfABadRole_SavesTheFix_AndALockEndsTheUsersLiveSession()
    {
        var (_, admin) = await fixture.UserAsync("webadmin", "admin");
        var (victim, _) = await fixture.UserAsync("weblocked", "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(victim, "my1", "alice", "app", protocol: "mysql");
        await using var conn = new MySqlConnector.MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();
        await using (var cmd = new MySqlConnector.MySqlCommand("SELECT 1", conn))
        {
            Assert.Equal(1L, Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }

        var role = "webrole" + Guid.NewGuid().ToString("N")[..6];
        var r = await WebUiBrowser.RunAsync(Cluster, "admin", new JsonObject
        {
            ["user"] = admin, ["screenshots_prefix"] = "",
            ["bad_role_yaml"] = $"kind: role\nname: {role}\noptions: {{ max_sesion_ttl: 8h }}\n",
            ["good_role_yaml"] = $"kind: role\nname: {role}\noptions: {{ max_session_ttl: 3h }}\nallow:\n  db_labels: {{ env: dev }}\n",
            ["lock"] = new JsonObject { ["kind"] = "user", ["target"] = victim.User, ["message"] = "locked from the web" },
            ["token_role"] = "agent", ["visit_hosts"] = true,
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains(admin["user"]!.GetValue<string>(), r.Strings("users"));
        Assert.Contains("role:3:", r.Text("bad_role"));
        Assert.Contains("max_sesion_ttl", r.Text("bad_role"));
        Assert.Contains("line 3, column", r.Text("bad_role_where"));
        Assert.Contains("max_sesion_ttl", r.Text("bad_role_where"));
        Assert.Contains($"Role {role} saved.", r.Text("good_role"));
        Assert.Contains(role, r.Strings("roles"));
        Assert.Contains("max_session_ttl", await Cluster.AdminAsync("roles", "get", role)); // ferryd admin sees the change

        Assert.Contains($"Locked user {victim.User}", r.Text("lock"));
        Assert.Contains(r.Get("locks").EnumerateArray(), l => l.GetRawText().Contains(victim.User, StringComparison.Ordinal)
            && l.GetRawText().Contains("locked from the web", StringComparison.Ordinal) && l.GetRawText().Contains(admin["user"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains("it is not shown again", r.Text("token_message"));
        Assert.NotEmpty(r.Text("token_secret"));
        Assert.DoesNotContain(r.Get("tokens").EnumerateArray(), t => t.GetRawText().Contains(r.Text("token_secret"), StringComparison.Ordinal));
        Assert.Contains(r.Get("hosts").EnumerateArray(), h => h.GetRawText().Contains("\"agent\"", StringComparison.Ordinal));

        // The lock made in the browser ends the locked user's live MySQL session (bounded wait), and new ones are refused.
        Exception? failure = null;
        for (var attempt = 0; attempt < 150 && failure is null; attempt++)
        {
            try
            {
                await using var cmd = new MySqlConnector.MySqlCommand("SELECT 1", conn);
                await cmd.ExecuteScalarAsync();
                await Task.Delay(200);
            }
            catch (Exception e) when (e is MySqlConnector.MySqlException or InvalidOperationException)
            {
                failure = e;
            }
        }

        Assert.NotNull(failure);
        var (code, refused) = await Cluster.MySqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("locked from the web", refused);
        AssertNoCspViolation(r);
    }

    [Fact]
    public async Task AUserWithoutTheAdminRole_HasNoAdminLink_AndTheAdminPageShowsTheRefusal()
    {
        var (_, user) = await fixture.UserAsync("webnotadmin", "developer", "db_users=alice");
        var r = await WebUiBrowser.RunAsync(Cluster, "not-admin", new JsonObject { ["user"] = user }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.DoesNotContain("Admin", r.Strings("nav"));
        Assert.Contains("administration needs the \"admin\" role", r.Text("refusal"));
        AssertNoCspViolation(r);
    }

    /// <summary>Query text travels in request bodies only: no URL the pages requested carries any of it.</summary>
    internal static void AssertNoSqlInUrls(ScenarioResult r, params string[] fragments)
    {
        Assert.NotEmpty(r.Urls);
        Assert.Contains(r.Urls, u => u.Contains("/web/api/consoles/", StringComparison.Ordinal) && u.Contains("/query", StringComparison.Ordinal));
        foreach (var url in r.Urls)
        {
            var decoded = Uri.UnescapeDataString(url);
            foreach (var f in fragments)
            {
                Assert.False(decoded.Contains(f, StringComparison.OrdinalIgnoreCase), $"{url} carries \"{f}\"");
            }

            Assert.DoesNotContain("SELECT", decoded, StringComparison.OrdinalIgnoreCase);
        }
    }

    internal static void AssertNoCspViolation(ScenarioResult r) =>
        Assert.DoesNotContain(r.ConsoleErrors, e => e.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || e.Contains("pageerror", StringComparison.Ordinal));
}
