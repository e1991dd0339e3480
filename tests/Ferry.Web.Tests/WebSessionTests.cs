using System.Net;
using System.Text.Json.Nodes;
using Ferry.Audit;
using Ferry.Auth.Users;

namespace Ferry.Web.Tests;

/// <summary>Web sessions against a real in-process auth service: cookie, CSRF, headers, expiry, logout, throttling, bounds.</summary>
public sealed class WebSessionTests
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
    public async Task Login_SetsAHostPrefixedCookie_SecureHttpOnlyStrict_AndAnswersTheSession()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();

        using var login = await browser.LoginAsync(alice, host.Otp(alice));
        var body = await JsonAsync(login);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("__Host-ferry_web=", setCookie, StringComparison.Ordinal);
        Assert.Contains("; Path=/", setCookie, StringComparison.Ordinal);
        Assert.Contains("; Secure", setCookie, StringComparison.Ordinal);
        Assert.Contains("; HttpOnly", setCookie, StringComparison.Ordinal);
        Assert.Contains("; SameSite=Strict", setCookie, StringComparison.Ordinal);
        Assert.DoesNotContain("Domain", setCookie, StringComparison.OrdinalIgnoreCase);
        var id = setCookie["__Host-ferry_web=".Length..setCookie.IndexOf(';', StringComparison.Ordinal)];
        Assert.True(id.Length >= 22, "at least 128 bits of id"); // 32 random bytes, base64url
        Assert.Equal("alice", body["user"]!.GetValue<string>());
        Assert.True(body["can"]!["audit"]!.GetValue<bool>());
        Assert.True(body["can"]!["admin"]!.GetValue<bool>());
        Assert.True(body["mfa"]!["totp"]!.GetValue<bool>());
        Assert.DoesNotContain("certificate", body.ToJsonString(), StringComparison.OrdinalIgnoreCase);

        using var session = await browser.GetAsync("/web/api/session");
        Assert.Equal(body["csrf_token"]!.GetValue<string>(), (await JsonAsync(session))["csrf_token"]!.GetValue<string>());

        var logins = await EventsAsync(host, AuditEventTypes.UserLogin);
        Assert.Contains(logins, e => e.User == "alice" && e.Success && e.Details?["method"] == "web");
    }

    [Fact]
    public async Task EveryResponse_CarriesTheContentSecurityPolicy_AndNoFraming()
    {
        await using var host = await WebTestHost.StartAsync();
        using var browser = host.Browser();
        foreach (var path in new[] { "/", "/web/", "/web/api/session", "/v1/ca", "/web/assets/nothing.js" })
        {
            using var response = await browser.GetAsync(path);
            Assert.True(response.Headers.Contains("Content-Security-Policy"), path + ": " + response.Headers);
            Assert.Equal(SecurityHeaders.ContentSecurityPolicy, string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }

        using var api = await browser.GetAsync("/web/api/session");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("no-store", api.Headers.CacheControl?.ToString());
        Assert.Equal("unauthorized", (await JsonAsync(api, HttpStatusCode.Unauthorized))["code"]!.GetValue<string>());

        using var root = await browser.GetAsync("/");
        Assert.Equal(HttpStatusCode.Found, root.StatusCode);
        Assert.Equal("/web/", root.Headers.Location?.ToString());

        using var page = await browser.GetAsync("/web/");
        var text = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.ServiceUnavailable && text.Contains("not built", StringComparison.Ordinal)
            || page.StatusCode == HttpStatusCode.OK && page.Content.Headers.ContentType?.MediaType == "text/html", $"{(int)page.StatusCode}: {text}");
    }

    [Fact]
    public async Task StateChanges_WithoutTheCsrfHeader_OrWithAnotherSessionsToken_AreRefusedAndAudited()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        using var other = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();
        host.Clock.Advance(TimeSpan.FromSeconds(30)); // a one-time code is accepted once
        (await other.LoginAsync(alice, host.Otp(alice))).Dispose();

        using var missing = await browser.PostAsync("/web/api/logout", csrf: false);
        Assert.Equal("csrf", (await JsonAsync(missing, HttpStatusCode.Forbidden))["code"]!.GetValue<string>());
        var mine = browser.Csrf;
        browser.Csrf = other.Csrf;
        using var foreign = await browser.PostAsync("/web/api/logout");
        Assert.Equal("csrf", (await JsonAsync(foreign, HttpStatusCode.Forbidden))["code"]!.GetValue<string>());

        // Still signed in: the refused requests changed nothing.
        using var session = await browser.GetAsync("/web/api/session");
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        browser.Csrf = mine;
        using var logout = await browser.PostAsync("/web/api/logout");
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        var refused = await EventsAsync(host, AuditEventTypes.WebRequest);
        var e = Assert.Single(refused); // one event per reason and source a minute
        Assert.Equal("TWB00W", e.Code);
        Assert.False(e.Success);
        Assert.Equal("csrf", e.Details!["reason"]);
    }

    [Fact]
    public async Task IdleSession_EndsAfterTheIdleTimeout_AndIsAuditedAsALogout()
    {
        await using var host = await WebTestHost.StartAsync(new WebOptions { IdleTimeout = TimeSpan.FromMinutes(15) });
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();

        host.Clock.Advance(TimeSpan.FromMinutes(14));
        using var stillThere = await browser.GetAsync("/web/api/session"); // a request moves the idle deadline
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        host.Clock.Advance(TimeSpan.FromMinutes(14));
        using var again = await browser.GetAsync("/web/api/session");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        host.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        using var idle = await browser.GetAsync("/web/api/session");
        var body = await JsonAsync(idle, HttpStatusCode.Unauthorized);
        Assert.Contains("idle", body["error"]!.GetValue<string>(), StringComparison.Ordinal);

        var ends = await EventsAsync(host, AuditEventTypes.UserLogout);
        Assert.Contains(ends, e => e.User == "alice" && e.Details?["method"] == "web" && e.Details?["reason"] == "idle");
    }

    [Fact]
    public async Task Session_EndsAtItsAbsoluteDeadline_EvenWhenUsed()
    {
        await using var host = await WebTestHost.StartAsync(new WebOptions { IdleTimeout = TimeSpan.FromMinutes(15), SessionTtl = TimeSpan.FromHours(1) });
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        var started = await JsonAsync(await browser.LoginAsync(alice, host.Otp(alice)));
        var expires = started["expires"]!.GetValue<DateTimeOffset>();
        Assert.InRange(expires, host.Clock.Now + TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1), host.Clock.Now + TimeSpan.FromHours(1)); // certificates count whole seconds

        for (var i = 0; i < 5; i++)
        {
            host.Clock.Advance(TimeSpan.FromMinutes(10));
            using var used = await browser.GetAsync("/web/api/session");
            Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        }

        host.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        using var expired = await browser.GetAsync("/web/api/session");
        Assert.Contains("expired", (await JsonAsync(expired, HttpStatusCode.Unauthorized))["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sweep_EndsExpiredSessions_WithoutARequest()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();
        Assert.Equal(1, host.Web.Sessions.Count);

        host.Clock.Advance(TimeSpan.FromMinutes(16));
        host.Web.Sessions.Sweep();
        Assert.Equal(0, host.Web.Sessions.Count);
    }

    [Fact]
    public async Task Logout_ClearsTheCookie_EndsTheSession_AndDestroysItsKey()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();
        var cookie = browser.Cookies.GetCookies(new Uri($"https://127.0.0.1:{host.Server.Port}/"))["__Host-ferry_web"]!.Value;
        var session = host.Web.Sessions.Find(cookie, out _)!;

        using var logout = await browser.PostAsync("/web/api/logout");
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Contains(logout.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-ferry_web=;", StringComparison.Ordinal) && c.Contains("Max-Age=0", StringComparison.Ordinal));

        // The certificate of the web session can no longer be used: its private key is gone.
        var gone = Assert.Throws<WebApiException>(() => session.WithKey(k => k.ExportPrivateKeyPem()));
        Assert.Equal(401, gone.Status);
        Assert.Null(host.Web.Sessions.Find(cookie, out _));
        var ends = await EventsAsync(host, AuditEventTypes.UserLogout);
        Assert.Contains(ends, e => e.User == "alice" && e.Details?["reason"] == "logout");
    }

    [Fact]
    public async Task WebLogin_IsThrottledLikeTheApiLogin()
    {
        await using var host = await WebTestHost.StartAsync(throttle: new LoginThrottleOptions { FreeFailuresPerUserAndSource = 2, BaseLockout = TimeSpan.FromMinutes(5) });
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await browser.LoginAsync(alice with { Password = "wrong" }, host.Otp(alice));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var throttled = await browser.LoginAsync(alice, host.Otp(alice));
        Assert.Equal("throttled", (await JsonAsync(throttled, (HttpStatusCode)429))["code"]!.GetValue<string>());
        Assert.NotNull(throttled.Headers.RetryAfter);
        Assert.Equal(0, host.Web.Sessions.Count);
    }

    [Fact]
    public async Task ALoginBeyondThePerUserLimit_EndsTheUsersOldestSession()
    {
        await using var host = await WebTestHost.StartAsync(new WebOptions { MaxSessionsPerUser = 2 });
        var alice = await host.AddUserAsync("alice");
        var browsers = Enumerable.Range(0, 3).Select(_ => host.Browser()).ToList();
        for (var i = 0; i < 3; i++)
        {
            using var login = await browsers[i].LoginAsync(alice, host.Otp(alice));
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            host.Clock.Advance(TimeSpan.FromSeconds(30)); // a one-time code is accepted once
        }

        using var first = await browsers[0].GetAsync("/web/api/session");
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        using var last = await browsers[2].GetAsync("/web/api/session");
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        Assert.Equal(2, host.Web.Sessions.Count);
        browsers.ForEach(b => b.Dispose());
    }

    [Fact]
    public async Task LoginsBeyondTheTotalLimit_AreRefused()
    {
        await using var host = await WebTestHost.StartAsync(new WebOptions { MaxSessions = 1 });
        var alice = await host.AddUserAsync("alice");
        var bob = await host.AddUserAsync("bob");
        using var a = host.Browser();
        using var b = host.Browser();
        (await a.LoginAsync(alice, host.Otp(alice))).Dispose();
        using var refused = await b.LoginAsync(bob, host.Otp(bob));
        Assert.Equal("unavailable", (await JsonAsync(refused, HttpStatusCode.ServiceUnavailable))["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task ABodyOverTheLimit_IsRefusedWith413()
    {
        await using var host = await WebTestHost.StartAsync();
        using var browser = host.Browser();
        using var huge = await browser.SendAsync(HttpMethod.Post, "/web/api/login", "{\"user\":\"" + new string('a', 200_000) + "\"}", csrf: false);
        Assert.Equal("too_large", (await JsonAsync(huge, HttpStatusCode.RequestEntityTooLarge))["code"]!.GetValue<string>());
    }

    /// <summary>A body a little over an endpoint's limit, sent whole before the answer: the browser reads the 413 every time, not a reset.</summary>
    [Fact]
    public async Task ABodyALittleOverTheLimit_AlwaysReachesTheBrowserAs413()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();
        var body = "{\"name\":\"" + new string('a', 200_000) + "\"}";

        for (var i = 0; i < 30; i++)
        {
            using var response = await browser.SendAsync(HttpMethod.Post, "/web/api/admin/users", body);
            Assert.Equal("too_large", (await JsonAsync(response, HttpStatusCode.RequestEntityTooLarge))["code"]!.GetValue<string>());
        }
    }
}
