using System.Net;
using System.Text.Json.Nodes;
using Ferry.Audit;

namespace Ferry.Web.Tests;

/// <summary>
/// <c>/web/api/admin/*</c> and <c>/web/api/audit/*</c> against a real in-process auth service: only admins (audit: roles
/// with <c>audit_search</c>), refusals audited, role YAML errors with line:col, bounds, changes audited with the web user.
/// </summary>
public sealed class WebAdminAuditTests
{
    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task<List<AuditEvent>> EventsAsync(WebTestHost host, string type)
    {
        await host.Server.FlushAuditAsync();
        return [.. host.Server.AuditStore.Search(new AuditQuery { Type = type, Since = DateTimeOffset.MinValue, Until = DateTimeOffset.MaxValue })];
    }

    [Fact]
    public async Task ANonAdmin_Gets403_FromTheAdminAndAuditApi_AndTheRefusalIsAudited()
    {
        await using var host = await WebTestHost.StartAsync();
        await host.Server.Service.ApplyRolesAsync("kind: role\nname: plain\n", "test", "test");
        var bob = await host.AddUserAsync("bob", "plain");
        using var browser = host.Browser();
        (await browser.LoginAsync(bob, host.Otp(bob))).Dispose();

        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, "/web/api/admin/users", null),
            (HttpMethod.Post, "/web/api/admin/locks", "{\"kind\":\"user\",\"target\":\"alice\"}"),
            (HttpMethod.Put, "/web/api/admin/roles/plain", "{\"yaml\":\"kind: role\\nname: plain\\n\"}"),
            (HttpMethod.Delete, "/web/api/admin/tokens/abc", null),
            (HttpMethod.Get, "/web/api/audit/events", null),
            (HttpMethod.Get, "/web/api/audit/sessions/abc", null),
        })
        {
            using var response = await browser.SendAsync(method, path, body);
            Assert.Equal("forbidden", (await JsonAsync(response, HttpStatusCode.Forbidden))["code"]!.GetValue<string>());
        }

        Assert.Empty(await host.Server.Service.ListLocksAsync());
        var refused = Assert.Single(await EventsAsync(host, AuditEventTypes.WebRequest)); // one per reason and source a minute
        Assert.Equal("forbidden", refused.Details!["reason"]);
        Assert.Equal("bob", refused.User);
        Assert.False(refused.Success);
    }

    [Fact]
    public async Task AnAdmin_SavesARole_OnlyWhenValid_WithLineAndColumn_AndLocksAreAuditedWithTheWebUser()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();

        using (var bad = await browser.SendAsync(HttpMethod.Put, "/web/api/admin/roles/ops", "{\"yaml\":\"kind: role\\nname: ops\\noptions: { max_sesion_ttl: 8h }\\n\"}"))
        {
            var answer = await JsonAsync(bad, HttpStatusCode.BadRequest);
            Assert.Equal("invalid_role", answer["code"]!.GetValue<string>());
            Assert.StartsWith("role:3:", answer["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(3, answer["errors"]![0]!["line"]!.GetValue<long>());
            Assert.Contains("max_sesion_ttl", answer["errors"]![0]!["path"]!.GetValue<string>() + answer["errors"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Null(await host.Server.Service.GetRoleAsync("ops"));
        using (var good = await browser.SendAsync(HttpMethod.Put, "/web/api/admin/roles/ops", "{\"yaml\":\"kind: role\\nname: ops\\noptions: { max_session_ttl: 2h }\\n\"}"))
        {
            Assert.Equal("ops", (await JsonAsync(good))["role"]!.GetValue<string>());
        }

        Assert.Contains("max_session_ttl", (await host.Server.Service.GetRoleAsync("ops"))!.Yaml, StringComparison.Ordinal);
        Assert.Contains(await EventsAsync(host, AuditEventTypes.RoleCreate), e => e.User == "alice" && e.Details!["role"] == "ops");

        using (var locked = await browser.PostAsync("/web/api/admin/locks", new JsonObject { ["kind"] = "role", ["target"] = "ops", ["message"] = "freeze", ["ttl"] = "1h" }))
        {
            Assert.Equal("alice", (await JsonAsync(locked, HttpStatusCode.Created))["created_by"]!.GetValue<string>());
        }

        Assert.Contains(await EventsAsync(host, AuditEventTypes.LockCreate), e => e.User == "alice" && e.Details!["target"] == "ops");
    }

    [Theory]
    [InlineData("limit=501", "limit \"501\" must be a whole number from 1 to 500")]
    [InlineData("limit=0", "limit \"0\" must be a whole number from 1 to 500")]
    [InlineData("from=yesterday", "from \"yesterday\" is neither a time")]
    [InlineData("from=1h&to=2h", "to must be later than from")]
    public async Task AuditSearch_RefusesBadInput_WithAPreciseMessage(string query, string message)
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();
        using var response = await browser.GetAsync("/web/api/audit/events?" + query);
        var answer = await JsonAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(message, answer["error"]!.GetValue<string>(), StringComparison.Ordinal);

        using var ok = await browser.GetAsync("/web/api/audit/events?limit=500&user=alice");
        Assert.Contains((await JsonAsync(ok))["events"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "user.login");
    }
}
