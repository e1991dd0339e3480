using System.Text.Json.Nodes;
using Ferry.Testing;

namespace Ferry.Web.Tests;

/// <summary>
/// Every web API endpoint that reads a body, called from a signed-in admin's browser with variations of a complete body
/// (<see cref="JsonBodyVariants"/>): none answers 500, and the session still works afterwards.
/// </summary>
public sealed class WebApiBodySweepTests
{
    [Fact]
    public async Task NoVariationOfAnyWebRequestBody_IsAnswered500_AndTheSessionCarriesOn()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        await host.AddUserAsync("bob", "admin");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();

        var addUser = JsonBodyVariants.Sample(WebAdminJsonContext.Default, WebAdminJsonContext.Default.AdminUserAdd);
        var lockAdd = JsonBodyVariants.Sample(WebAdminJsonContext.Default, WebAdminJsonContext.Default.AdminLockAdd);
        var request = JsonBodyVariants.Sample(WebJsonContext.Default, WebJsonContext.Default.WebRequestCreate);
        request["roles"] = new JsonArray("admin");
        var endpoints = new (HttpMethod Method, string Path, JsonNode Body)[]
        {
            (HttpMethod.Post, "/web/api/consoles", JsonBodyVariants.Sample(WebJsonContext.Default, WebJsonContext.Default.ConsoleOpenRequest)),
            (HttpMethod.Post, "/web/api/consoles/c1/query", JsonBodyVariants.Sample(WebJsonContext.Default, WebJsonContext.Default.ConsoleQueryRequest)),
            (HttpMethod.Post, "/web/api/requests", request),
            (HttpMethod.Post, "/web/api/requests/01J0000000000000000000000/review", JsonBodyVariants.Sample(WebJsonContext.Default, WebJsonContext.Default.WebRequestReview)),
            (HttpMethod.Post, "/web/api/admin/users", addUser),
            (HttpMethod.Post, "/web/api/admin/users/bob/reset", JsonBodyVariants.Sample(WebAdminJsonContext.Default, WebAdminJsonContext.Default.AdminUserReset)),
            (HttpMethod.Put, "/web/api/admin/roles/sweep", JsonBodyVariants.Sample(WebAdminJsonContext.Default, WebAdminJsonContext.Default.AdminRolePut)),
            (HttpMethod.Post, "/web/api/admin/locks", lockAdd),
            (HttpMethod.Post, "/web/api/admin/tokens", JsonBodyVariants.Sample(WebAdminJsonContext.Default, WebAdminJsonContext.Default.AdminTokenAdd)),
            (HttpMethod.Post, "/web/api/webauthn/register/begin", JsonBodyVariants.Sample(WebAuthnJsonContext.Default, WebAuthnJsonContext.Default.WebAuthnRegisterBeginRequest)),
            (HttpMethod.Post, "/web/api/webauthn/register/finish", JsonBodyVariants.Sample(WebAuthnJsonContext.Default, WebAuthnJsonContext.Default.WebAuthnRegisterFinishRequest)),
            (HttpMethod.Post, "/web/api/webauthn/login/begin", JsonBodyVariants.Sample(WebAuthnJsonContext.Default, WebAuthnJsonContext.Default.WebAuthnLoginBeginRequest)),
            (HttpMethod.Post, "/web/api/webauthn/login/finish", JsonBodyVariants.Sample(WebAuthnJsonContext.Default, WebAuthnJsonContext.Default.WebAuthnLoginFinishRequest)),
            (HttpMethod.Post, "/web/api/login", JsonBodyVariants.Sample(WebJsonContext.Default, WebJsonContext.Default.WebLoginRequest)),
        };

        var failures = new List<string>();
        var sent = 0;
        foreach (var (method, path, body) in endpoints)
        {
            var (failed, statuses) = await JsonBodyVariants.SweepAsync($"{method} {path}", body, variant => browser.SendAsync(method, path, variant));
            failures.AddRange(failed);
            sent += statuses.Values.Sum();

            // The session reached the code that reads the bodies (not all 401/403).
            Assert.True(statuses.Keys.Any(s => s is not (401 or 403)), $"{path}: only {string.Join(", ", statuses.Keys)}");
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} bodies answered 5xx:\n{string.Join('\n', failures.Take(40))}");
        using var session = await browser.GetAsync("/web/api/session");
        Assert.Equal(System.Net.HttpStatusCode.OK, session.StatusCode);
    }
}

/// <summary>Every query parameter the web API reads (without an open console), each given odd values and repeated: never a 500.</summary>
public sealed class WebApiQuerySweepTests
{
    [Fact]
    public async Task NoOddQueryValue_IsAnswered500_AndTheSessionCarriesOn()
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();

        var endpoints = new (string Path, string[] Parameters)[]
        {
            ("/web/api/audit/events", ["limit", "database", "from", "to", "text", "user"]),
            ("/web/api/databases", ["labels"]),
            ("/web/api/requests", ["review"]),
            ("/web/api/sso/start", ["connector", "reauth"]),
            ("/web/api/sso/finish", ["request_id"]),
        };

        var failures = new List<string>();
        foreach (var (path, parameters) in endpoints)
        {
            failures.AddRange(await JsonBodyVariants.QuerySweepAsync(path, parameters, browser.GetAsync));
        }

        Assert.True(failures.Count == 0, $"{failures.Count} answered 5xx:\n{string.Join('\n', failures.Take(40))}");
        using var session = await browser.GetAsync("/web/api/session");
        Assert.Equal(System.Net.HttpStatusCode.OK, session.StatusCode);
    }
}
