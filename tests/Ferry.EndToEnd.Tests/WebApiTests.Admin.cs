using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The web UI's audit and admin API against the real AOT <c>ferryd</c>: who may call it (403 <c>forbidden</c>, refusal
/// audited as <c>web.request</c>), its bounds (limit, time, text, YAML size), role YAML errors with line:col, and the
/// admin actions audited with the acting web user, as <c>ferryd admin</c> audits them.
/// </summary>
public sealed partial class WebApiTests
{
    private sealed partial class Browser
    {
        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body = null, bool csrf = true)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }

            if (csrf && Csrf is not null)
            {
                request.Headers.Add("X-Ferry-Csrf", Csrf);
            }

            return await _http.SendAsync(request);
        }
    }

    [Fact]
    public async Task AUserWithoutAdminOrAuditSearch_Gets403_OnTheAdminAndAuditApi_AndTheRefusalIsAudited()
    {
        var (browser, user) = await SignInAsync("webnoadm" + Guid.NewGuid().ToString("N")[..6]);
        using var _b = browser;
        foreach (var (method, path, body) in new (HttpMethod, string, JsonNode?)[]
        {
            (HttpMethod.Get, "/web/api/admin/users", null),
            (HttpMethod.Get, "/web/api/admin/roles", null),
            (HttpMethod.Put, "/web/api/admin/roles/developer", new JsonObject { ["yaml"] = "kind: role\nname: developer\n" }),
            (HttpMethod.Post, "/web/api/admin/locks", new JsonObject { ["kind"] = "user", ["target"] = "alice" }),
            (HttpMethod.Delete, "/web/api/admin/users/alice", null),
            (HttpMethod.Post, "/web/api/admin/tokens", new JsonObject { ["role"] = "agent" }),
            (HttpMethod.Get, "/web/api/admin/hosts", null),
            (HttpMethod.Get, "/web/api/audit/events?user=alice", null),
            (HttpMethod.Get, "/web/api/audit/sessions/abc", null),
        })
        {
            using var response = await browser.SendAsync(method, path, body);
            var answer = await JsonAsync(response, HttpStatusCode.Forbidden);
            Assert.Equal("forbidden", answer["code"]!.GetValue<string>());
        }

        using var auditor = await AuditorAsync();
        var refused = await SearchAsync(auditor, $"user={user.User}&type=web.request");
        Assert.Contains(refused, e => e["details"]?["reason"]?.GetValue<string>() == "forbidden" && e["success"]?.GetValue<bool>() == false);
    }

    [Fact]
    public async Task WebAuditSearch_IsBounded_AndPlaysTheConsoleSessionBack_InOrderWithRowsAndErrors()
    {
        var (browser, user) = await SignInAsync("webaudq" + Guid.NewGuid().ToString("N")[..6]);
        using var _b = browser;
        var console = await OpenConsoleAsync(browser, "my1", "alice", "app");
        var tag = Guid.NewGuid().ToString("N")[..8];
        await QueryAsync(browser, console, $"SELECT 'first-{tag}' AS a UNION ALL SELECT 'second'");
        var failed = await QueryAsync(browser, console, $"SELECT * FROM missing_{tag}");
        Assert.Equal("1146", failed["error"]!["code"]!.GetValue<string>());
        await QueryAsync(browser, console, $"SELECT 'third-{tag}' AS c");

        var (auditor, _) = await SignInAsync("webaudr" + Guid.NewGuid().ToString("N")[..6], "admin", "db_users=alice");
        using var _a = auditor;
        foreach (var (query, message) in new[]
        {
            ("limit=501", "limit \"501\" must be a whole number from 1 to 500"),
            ("limit=x", "limit \"x\" must be a whole number from 1 to 500"),
            ("from=yesterday", "from \"yesterday\" is neither a time"),
            ("to=soon", "to \"soon\" is neither a time"),
            ("from=1h&to=2h", "to must be later than from"),
            ("text=" + new string('x', 257), "text is 257 characters long; at most 256 are searched"),
            ("user=a&user=b", "user is given more than once"),
        })
        {
            var error = await JsonAsync(await auditor.GetAsync("/web/api/audit/events?" + query), HttpStatusCode.BadRequest);
            Assert.Equal("bad_request", error["code"]!.GetValue<string>());
            Assert.Contains(message, error["error"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Newest first, at most `limit`, "more" when more matched; the agent's events arrive through its spool.
        JsonArray events = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var found = await JsonAsync(await auditor.GetAsync($"/web/api/audit/events?user={user.User}&database=my1&text=third-{tag}&from=1h"));
            events = found["events"]!.AsArray();
            if (events.Count > 0)
            {
                break;
            }

            await Task.Delay(200);
        }

        var third = Assert.Single(events);
        var sessionId = third!["session_id"]!.GetValue<string>();
        var two = await JsonAsync(await auditor.GetAsync($"/web/api/audit/events?user={user.User}&limit=2"));
        Assert.Equal(2, two["events"]!.AsArray().Count);
        Assert.True(two["more"]!.GetValue<bool>());
        var times = two["events"]!.AsArray().Select(e => DateTimeOffset.Parse(e!["time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(times[0] >= times[1], "newest first");

        JsonNode playback = new JsonObject();
        List<JsonNode> statements = [];
        for (var attempt = 0; attempt < 100; attempt++)
        {
            playback = await JsonAsync(await auditor.GetAsync($"/web/api/audit/sessions/{sessionId}"));
            statements = [.. playback["statements"]!.AsArray().Select(s => s!)];
            if (statements.Any(s => (s["query"]?.GetValue<string>() ?? "").Contains($"third-{tag}", StringComparison.Ordinal) && s["rows"] is not null))
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.Equal("mysql", playback["session"]!["protocol"]!.GetValue<string>());
        Assert.Equal(user.User, playback["session"]!["user"]!.GetValue<string>());
        var first = statements.FindIndex(s => (s["query"]?.GetValue<string>() ?? "").Contains($"first-{tag}", StringComparison.Ordinal));
        var missing = statements.FindIndex(s => (s["query"]?.GetValue<string>() ?? "").Contains($"missing_{tag}", StringComparison.Ordinal));
        var last = statements.FindIndex(s => (s["query"]?.GetValue<string>() ?? "").Contains($"third-{tag}", StringComparison.Ordinal));
        Assert.True(first >= 0 && missing > first && last > missing, string.Join("\n", statements.Select(s => s.ToJsonString())));
        Assert.Equal(2, statements[first]["rows"]!.GetValue<long>());
        Assert.True(statements[first]["bytes"]!.GetValue<long>() > 0);
        Assert.Equal("1146", statements[missing]["code"]!.GetValue<string>());
        Assert.False(statements[missing]["success"]!.GetValue<bool>());
        Assert.True(statements[last]["offset_ms"]!.GetValue<double>() >= statements[first]["offset_ms"]!.GetValue<double>());

        var unknown = await JsonAsync(await auditor.GetAsync("/web/api/audit/sessions/no-such-session"), HttpStatusCode.NotFound);
        Assert.Equal("not_found", unknown["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Admin_RolesLocksTokensAndUsers_AreValidatedBounded_AndAuditedWithTheActingUser()
    {
        var (admin, adminUser) = await SignInAsync("webadm" + Guid.NewGuid().ToString("N")[..6], "admin", "db_users=alice");
        using var _b = admin;
        var role = "webrole" + Guid.NewGuid().ToString("N")[..6];

        // The validator of `ferryd admin roles apply`, its line:col.
        var bad = await JsonAsync(await admin.SendAsync(HttpMethod.Put, $"/web/api/admin/roles/{role}",
            new JsonObject { ["yaml"] = $"kind: role\nname: {role}\noptions: {{ max_sesion_ttl: 8h }}\n" }), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_role", bad["code"]!.GetValue<string>());
        Assert.StartsWith("role:3:", bad["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("max_sesion_ttl", bad["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(3, bad["errors"]![0]!["line"]!.GetValue<long>());
        Assert.Contains("No such role", await RoleOrNothingAsync(role), StringComparison.Ordinal);

        var other = await JsonAsync(await admin.SendAsync(HttpMethod.Put, $"/web/api/admin/roles/{role}",
            new JsonObject { ["yaml"] = "kind: role\nname: someone-else\n" }), HttpStatusCode.BadRequest);
        Assert.Contains("not \"" + role + "\"", other["error"]!.GetValue<string>(), StringComparison.Ordinal);

        var huge = await JsonAsync(await admin.SendAsync(HttpMethod.Put, $"/web/api/admin/roles/{role}",
            new JsonObject { ["yaml"] = $"kind: role\nname: {role}\n#" + new string('x', 70_000) }), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("too_large", huge["code"]!.GetValue<string>());

        var saved = await JsonAsync(await admin.SendAsync(HttpMethod.Put, $"/web/api/admin/roles/{role}",
            new JsonObject { ["yaml"] = $"kind: role\nname: {role}\noptions: {{ max_session_ttl: 3h }}\nallow:\n  db_labels: {{ env: dev }}\n" }));
        Assert.Equal(role, saved["role"]!.GetValue<string>());
        var got = await JsonAsync(await admin.GetAsync($"/web/api/admin/roles/{role}"));
        Assert.Contains("max_session_ttl", got["yaml"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("max_session_ttl", await RoleOrNothingAsync(role), StringComparison.Ordinal); // ferryd admin sees it

        // Locks: bounded ttl, created by the web user, removable.
        var badTtl = await JsonAsync(await admin.SendAsync(HttpMethod.Post, "/web/api/admin/locks",
            new JsonObject { ["kind"] = "role", ["target"] = role, ["ttl"] = "soon" }), HttpStatusCode.BadRequest);
        Assert.Contains("ttl \"soon\" is not a duration", badTtl["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var noCsrf = await JsonAsync(await admin.SendAsync(HttpMethod.Post, "/web/api/admin/locks",
            new JsonObject { ["kind"] = "role", ["target"] = role }, csrf: false), HttpStatusCode.Forbidden);
        Assert.Equal("csrf", noCsrf["code"]!.GetValue<string>());
        var lockInfo = await JsonAsync(await admin.SendAsync(HttpMethod.Post, "/web/api/admin/locks",
            new JsonObject { ["kind"] = "role", ["target"] = role, ["message"] = "web lock", ["ttl"] = "1h" }), HttpStatusCode.Created);
        var lockId = lockInfo["id"]!.GetValue<string>();
        Assert.Equal(adminUser.User, lockInfo["created_by"]!.GetValue<string>());
        var locks = await JsonAsync(await admin.GetAsync("/web/api/admin/locks"));
        Assert.Contains(locks["locks"]!.AsArray(), l => l!["id"]!.GetValue<string>() == lockId);
        using (var removed = await admin.SendAsync(HttpMethod.Delete, $"/web/api/admin/locks/{lockId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        // Join tokens: the secret once, never in the list.
        var token = await JsonAsync(await admin.SendAsync(HttpMethod.Post, "/web/api/admin/tokens", new JsonObject { ["role"] = "agent", ["ttl"] = "10m" }), HttpStatusCode.Created);
        var secret = token["token"]!.GetValue<string>();
        Assert.NotEmpty(secret);
        using (var listed = await admin.GetAsync("/web/api/admin/tokens"))
        {
            var text = await listed.Content.ReadAsStringAsync();
            Assert.Contains(token["id"]!.GetValue<string>(), text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        using (var removed = await admin.SendAsync(HttpMethod.Delete, $"/web/api/admin/tokens/{token["id"]!.GetValue<string>()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        // Users: a generated password shown once; delete.
        var newUser = "webnew" + Guid.NewGuid().ToString("N")[..6];
        var created = await JsonAsync(await admin.SendAsync(HttpMethod.Post, "/web/api/admin/users",
            new JsonObject { ["name"] = newUser, ["roles"] = new JsonArray("developer"), ["traits"] = new JsonObject { ["db_users"] = new JsonArray("alice") } }), HttpStatusCode.Created);
        Assert.False(string.IsNullOrEmpty(created["password"]?.GetValue<string>()));
        Assert.StartsWith("otpauth://", created["otpauth_uri"]!.GetValue<string>(), StringComparison.Ordinal);
        var users = await JsonAsync(await admin.GetAsync("/web/api/admin/users"));
        Assert.Contains(users["users"]!.AsArray(), u => u!["name"]!.GetValue<string>() == newUser);
        using (var removed = await admin.SendAsync(HttpMethod.Delete, $"/web/api/admin/users/{newUser}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        var hosts = await JsonAsync(await admin.GetAsync("/web/api/admin/hosts"));
        Assert.Contains(hosts["hosts"]!.AsArray(), h => h!["role"]!.GetValue<string>() == "agent");

        // Audited with the acting web user, as `ferryd admin` audits them.
        using var auditor = await AuditorAsync();
        foreach (var type in new[] { "role.create", "lock.create", "lock.delete", "token.create", "user.create", "user.delete" })
        {
            var events = await SearchAsync(auditor, $"user={adminUser.User}&type={type}");
            Assert.True(events.Count > 0, $"no {type} event by {adminUser.User}");
        }

        var roleEvents = await SearchAsync(auditor, $"user={adminUser.User}&type=role.create");
        Assert.Contains(roleEvents, e => e["details"]?["role"]?.GetValue<string>() == role);
    }

    private async Task<string> RoleOrNothingAsync(string role)
    {
        try
        {
            return await Cluster.AdminAsync("roles", "get", role);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return "No such role: " + e.Message;
        }
    }
}
