using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ferry.Audit;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// "Sign in with &lt;connector&gt;" in a real headless Chromium against the real <c>ferryd</c> and the real OIDC provider:
/// the web login goes through the connector's one registered redirect URI (<c>/v1/sso/callback</c>), lands on the
/// databases page with a web session whose console opens a real session; a replayed or tampered callback, a browser
/// that did not start the login and a user without a role all land on the login page with the reason.
/// </summary>
public sealed class WebSsoTests(SsoClusterFixture fixture, ITestOutputHelper output) : IClassFixture<SsoClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task SignInWithTheConnector_OpensAConsole_AndRunsAQuery_AsTheClaimsDbUser_AndIsAuditedAsWebSso()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var r = await WebUiBrowser.RunAsync(Cluster, "sso", new JsonObject
        {
            ["connector_display"] = "Test IdP", ["provider_user"] = "alice", ["provider_password"] = "alice-pass",
            ["database"] = "pg1", ["db_user"] = "alice_db", ["db_name"] = "app",
            ["sql"] = $"SELECT 'sso-{tag}' AS marker, current_user AS who",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Equal("Databases", r.Text("heading"));
        Assert.Contains("alice", r.Text("user"));
        Assert.Equal("true", r.Text("console", "opened"));
        Assert.Contains($"sso-{tag}", r.Get("query", "rows").GetRawText());
        Assert.Contains("alice_db", r.Get("query", "rows").GetRawText());
        // The provider came back to the one registered redirect URI, then the web UI finished the login.
        Assert.Contains(r.Strings("urls"), u => u.Contains("/v1/sso/callback?", StringComparison.Ordinal) && u.Contains("state=web.", StringComparison.Ordinal));
        Assert.Contains(r.Strings("urls"), u => u.Contains("/web/api/sso/finish?request_id=", StringComparison.Ordinal));

        var events = await SearchAsync("user.login", "alice@example.com", e => e.Success && e.Details?.GetValueOrDefault("method") == "sso-web");
        var login = Assert.Single(events, e => e.Success && e.Details?.GetValueOrDefault("method") == "sso-web");
        Assert.Equal(SsoClusterFixture.Connector, login.Details!["connector"]);
    }

    /// <summary>
    /// A user who signs in only by single sign-on (no Ferry password, no one-time code) adds a first security key: the
    /// account page sends them to the provider again with <c>prompt=login</c> and <c>max_age=0</c>, the provider's fresh
    /// <c>auth_time</c> is checked, and the single-use proof kept in the web session lets the registration start.
    /// </summary>
    [Fact]
    public async Task AnSsoUser_ConfirmsBySigningInAgainAtTheProvider_AndRegistersAFirstSecurityKey()
    {
        var keyName = "sso-key-" + Guid.NewGuid().ToString("N")[..6];
        var r = await WebUiBrowser.RunAsync(Cluster, "sso", new JsonObject
        {
            ["connector_display"] = "Test IdP", ["provider_user"] = "alice", ["provider_password"] = "alice-pass",
            ["reauth"] = new JsonObject { ["provider_user"] = "alice", ["provider_password"] = "alice-pass", ["key_name"] = keyName },
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains("#/account?confirmed=sso", r.Text("reauth_url"), StringComparison.Ordinal);
        Assert.Contains($"You signed in again at {SsoClusterFixture.Connector}", r.Text("reauth_message"), StringComparison.Ordinal);
        Assert.Contains($"Security key \"{keyName}\" registered.", r.Text("register"), StringComparison.Ordinal);
        Assert.Equal(1, r.Get("credentials").GetInt32());
        Assert.Contains(r.Get("devices").EnumerateArray(), d => d.GetRawText().Contains(keyName, StringComparison.Ordinal));
        // The confirmation asked the provider for a fresh sign-in, not a remembered one.
        Assert.Contains(r.Urls, u => u.Contains("prompt=login", StringComparison.Ordinal) && u.Contains("max_age=0", StringComparison.Ordinal));
        var events = await SearchAsync("user.login", "alice@example.com", e => e.Success && e.Details?.GetValueOrDefault("method") == "sso-reauth");
        Assert.Contains(events, e => e.Success && e.Details?.GetValueOrDefault("method") == "sso-reauth");
    }

    /// <summary>Confirming at the provider as someone else (another account's password) registers nothing, and the account page says why.</summary>
    [Fact]
    public async Task ConfirmingAtTheProviderAsAnotherUser_IsRefused_AndNoKeyIsRegistered()
    {
        var r = await WebUiBrowser.RunAsync(Cluster, "sso", new JsonObject
        {
            ["connector_display"] = "Test IdP", ["provider_user"] = "alice", ["provider_password"] = "alice-pass",
            ["reauth"] = new JsonObject { ["provider_user"] = "carol", ["provider_password"] = "carol-pass", ["key_name"] = "never" },
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains("#/account?error=", r.Text("reauth_url"), StringComparison.Ordinal);
        Assert.Contains("you confirmed at the provider as \"carol@example.com\"", r.Text("reauth_message"), StringComparison.Ordinal);
        Assert.False(r.Get("register_now_visible").GetBoolean());
        Assert.Equal(0, r.Get("credentials").GetInt32());
        var events = await SearchAsync("user.login", "alice@example.com", e => !e.Success && e.Details?.GetValueOrDefault("reason") == "wrong_user");
        Assert.Contains(events, e => !e.Success && e.Details?.GetValueOrDefault("reason") == "wrong_user");
    }

    /// <summary>A provider that answers the confirmation from a remembered sign-in (an hour-old <c>auth_time</c>) confirms nothing.</summary>
    [Fact]
    public async Task AConfirmationWhoseAuthTimeIsOld_IsRefused_AndNoKeyIsRegistered()
    {
        await fixture.Provider.SetIdTokenModeAsync(IdTokenMode.StaleAuthTime);
        ScenarioResult r;
        try
        {
            r = await WebUiBrowser.RunAsync(Cluster, "sso", new JsonObject
            {
                ["connector_display"] = "Test IdP", ["provider_user"] = "alice", ["provider_password"] = "alice-pass",
                ["reauth"] = new JsonObject { ["provider_user"] = "alice", ["provider_password"] = "alice-pass", ["key_name"] = "never" },
            }, output);
        }
        finally
        {
            await fixture.Provider.SetIdTokenModeAsync(IdTokenMode.Normal);
        }

        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains("#/account?error=", r.Text("reauth_url"), StringComparison.Ordinal);
        Assert.Contains("did not ask you to sign in again", r.Text("reauth_message"), StringComparison.Ordinal);
        Assert.False(r.Get("register_now_visible").GetBoolean());
        Assert.Equal(0, r.Get("credentials").GetInt32());
    }

    [Fact]
    public async Task AReplayedOrTamperedCallback_AndAFinishInAnotherBrowser_AreRefused_ToTheLoginPage()
    {
        var r = await WebUiBrowser.RunAsync(Cluster, "sso", new JsonObject
        {
            ["connector_display"] = "Test IdP", ["provider_user"] = "alice", ["provider_password"] = "alice-pass",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Equal("Databases", r.Text("heading"));
        var callback = r.Strings("urls").Select(u => u[(u.IndexOf(' ', StringComparison.Ordinal) + 1)..]).First(u => u.Contains("/v1/sso/callback?", StringComparison.Ordinal));
        var finish = r.Strings("urls").Select(u => u[(u.IndexOf(' ', StringComparison.Ordinal) + 1)..]).First(u => u.Contains("/web/api/sso/finish?", StringComparison.Ordinal));

        using var http = new HttpClient(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        });
        // Replayed: the state was taken once.
        using (var replay = await http.GetAsync(new Uri(callback)))
        {
            Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
            Assert.StartsWith("/web/#/login?error=sso_state&message=", replay.Headers.Location?.OriginalString ?? "");
            Assert.DoesNotContain("Set-Cookie", replay.Headers.Select(h => h.Key));
        }

        // Tampered: another state.
        using (var tampered = await http.GetAsync(new Uri(callback.Replace("state=web.", "state=web.x", StringComparison.Ordinal))))
        {
            Assert.Equal(HttpStatusCode.Redirect, tampered.StatusCode);
            Assert.StartsWith("/web/#/login?error=sso_state&message=", tampered.Headers.Location?.OriginalString ?? "");
        }

        // The finish step in a browser without the binding cookie (a link sent to someone else) starts no session.
        using (var stranger = await http.GetAsync(new Uri(finish)))
        {
            Assert.Equal(HttpStatusCode.Redirect, stranger.StatusCode);
            Assert.StartsWith("/web/#/login?error=sso_browser&message=", stranger.Headers.Location?.OriginalString ?? "");
            Assert.DoesNotContain(stranger.Headers.TryGetValues("Set-Cookie", out var set) ? set : Enumerable.Empty<string>(), c => c.StartsWith(WebCookie + "=", StringComparison.Ordinal) && !c.Contains("Max-Age=0", StringComparison.Ordinal));
        }

        var refused = await SearchAsync("user.login", null, e => !e.Success && e.Details?.GetValueOrDefault("method") == "sso-web" && e.Details?.GetValueOrDefault("reason") == "unknown_state");
        Assert.Contains(refused, e => !e.Success && e.Details?.GetValueOrDefault("method") == "sso-web" && e.Details?.GetValueOrDefault("reason") == "unknown_state");
    }

    [Fact]
    public async Task AUserWhoseClaimsMapToNoRole_LandsOnTheLoginPage_WithTheCliMessage()
    {
        var r = await WebUiBrowser.RunAsync(Cluster, "sso", new JsonObject
        {
            ["connector_display"] = "Test IdP", ["provider_user"] = "mallory", ["provider_password"] = "mallory-pass",
        }, output);
        Assert.True(r.Ok, r.Describe() + Cluster.FerrydLog);
        Assert.Contains("#/login?error=", r.Text("final_url"));
        Assert.Equal("Sign in to Ferry", r.Text("heading"));
        Assert.Contains("none of your claims maps to a Ferry role", r.Text("page_text"));
    }

    private const string WebCookie = "__Host-ferry_web";

    private async Task<List<AuditEvent>> SearchAsync(string type, string? user, Func<AuditEvent, bool> done)
    {
        var admin = await Cluster.AddUserAsync("auditor-" + Guid.NewGuid().ToString("N")[..6], "admin");
        var creds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(creds.Certificate);
        var query = $"/v1/audit/search?type={type}&since=1h&limit=1000" + (user is null ? "" : "&user=" + Uri.EscapeDataString(user));
        for (var i = 0; ; i++)
        {
            var events = await api.GetFromJsonAsync(query, AuditJsonContext.Default.ListAuditEvent) ?? [];
            if (events.Any(done) || i == 50)
            {
                return events;
            }

            await Task.Delay(200);
        }
    }
}
