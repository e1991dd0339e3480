using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Ferry.Testing;

/// <summary>
/// A real OpenID Connect provider (<c>oidc-provider</c> from npm, <c>tests/oidc/provider.mjs</c>) on a free
/// 127.0.0.1 port, started with <c>node</c> and stopped by its own pid; plus the headless Chromium driver
/// (<c>tests/oidc/browser.mjs</c>, <c>playwright-core</c> on Debian's <c>/usr/bin/chromium</c>) that signs in
/// through the provider's real login and consent pages. Test users (see <see cref="Users"/>): alice (groups
/// dba, staff; db_users alice_db), bob (staff; bob_db), mallory (contractors; none), carol (dba; carol_db;
/// acr urn:ferry:mfa, amr pwd+otp). Needs <c>npm ci</c> in tests/oidc and Debian's chromium:
/// <c>. scripts/lib/common.sh &amp;&amp; ensure_test_dependencies</c>.
/// </summary>
public sealed class OidcProviderFixture : IDisposable
{
    public const string DefaultPassword = "-pass";

    private readonly ManagedServerProcess _process;
    private readonly string _dir;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private OidcProviderFixture(ManagedServerProcess process, string dir, Uri issuer)
    {
        _process = process;
        _dir = dir;
        Issuer = issuer;
    }

    /// <summary>The provider's issuer, <c>http://127.0.0.1:PORT</c> (its discovery document is under it).</summary>
    public Uri Issuer { get; }

    public string IssuerText => Issuer.GetLeftPart(UriPartial.Authority);

    /// <summary>What the provider wrote (stdout and stderr), for assertion messages.</summary>
    public string Log => _process.Log;

    /// <summary>The test users: user name → password (each password is the user name followed by "-pass").</summary>
    public static IReadOnlyDictionary<string, string> Users { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["alice"] = "alice" + DefaultPassword,
        ["bob"] = "bob" + DefaultPassword,
        ["mallory"] = "mallory" + DefaultPassword,
        ["carol"] = "carol" + DefaultPassword,
    };

    /// <summary>tests/oidc in the repository (or <c>$FERRY_OIDC_DIR</c>).</summary>
    public static string Directory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("FERRY_OIDC_DIR");
            if (!string.IsNullOrEmpty(env))
            {
                return env;
            }

            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                dir = dir.Parent;
            }

            return dir is null
                ? throw new InvalidOperationException("cannot find the repository root (Proxy.sln) to locate tests/oidc")
                : Path.Combine(dir.FullName, "tests", "oidc");
        }
    }

    /// <summary>Starts the provider with <paramref name="clients"/> (more can be added with <see cref="RegisterClientAsync"/>) and waits for its ready line.</summary>
    public static async Task<OidcProviderFixture> StartAsync(params OidcClient[] clients)
    {
        var dir = Directory;
        if (!File.Exists(Path.Combine(dir, "node_modules", "oidc-provider", "package.json")))
        {
            throw new InvalidOperationException($"{dir}/node_modules is missing: run `. scripts/lib/common.sh && ensure_test_dependencies` (npm ci in tests/oidc)");
        }

        var args = new List<string> { Path.Combine(dir, "provider.mjs"), "--port", "0" };
        foreach (var c in clients)
        {
            args.AddRange(["--client-id", c.ClientId, "--client-secret", c.ClientSecret, "--redirect-uri", c.RedirectUri]);
        }

        var process = ManagedServerProcess.Start("node", args);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var log = process.Log;
            var at = log.IndexOf("ready issuer=", StringComparison.Ordinal);
            if (at >= 0)
            {
                var end = log.IndexOf('\n', at);
                if (end > 0)
                {
                    var issuer = new Uri(log[(at + "ready issuer=".Length)..end].Trim());
                    return new OidcProviderFixture(process, dir, issuer);
                }
            }

            if (process.HasExited || deadline.IsCancellationRequested)
            {
                process.Dispose();
                throw new InvalidOperationException($"the OIDC provider did not start: {log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Adds a client, or replaces the one with the same id (a relying party's redirect URI is known once it runs).</summary>
    public async Task RegisterClientAsync(OidcClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var body = new JsonObject
        {
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
            ["redirect_uris"] = new JsonArray(client.RedirectUri),
        };
        await AdminAsync("/__clients", body.ToJsonString());
    }

    /// <summary>Makes the provider sign with a new key (new kid) from now on; its JWKS lists the new key first. Returns the new kid.</summary>
    public async Task<string> RotateSigningKeyAsync()
    {
        var answer = JsonNode.Parse(await AdminAsync("/__rotate", ""))!;
        return answer["kid"]!.GetValue<string>();
    }

    /// <summary>
    /// What the token endpoint does to the ID tokens it hands out until set back to <see cref="IdTokenMode.Normal"/>:
    /// a flipped signature byte, or a token re-signed with the provider's real key but another audience, an expiry in the
    /// past, another nonce or another issuer.
    /// </summary>
    public Task SetIdTokenModeAsync(IdTokenMode mode) => AdminAsync("/__id_token?mode=" + mode switch
    {
        IdTokenMode.Normal => "normal",
        IdTokenMode.Tampered => "tamper",
        IdTokenMode.WrongAudience => "wrong_audience",
        IdTokenMode.Expired => "expired",
        IdTokenMode.WrongNonce => "wrong_nonce",
        IdTokenMode.WrongIssuer => "wrong_issuer",
        IdTokenMode.StaleAuthTime => "stale_auth_time",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    }, "");

    /// <summary>The kids the provider publishes, newest first.</summary>
    public async Task<IReadOnlyList<string>> KidsAsync()
    {
        var state = JsonNode.Parse(await _http.GetStringAsync(new Uri(Issuer, "/__state")))!;
        return [.. state["kids"]!.AsArray().Select(k => k!.GetValue<string>())];
    }

    /// <summary>
    /// Signs in at <paramref name="url"/> with a real headless Chromium: fills the provider's login form, allows the
    /// consent and follows the redirects to ferry's loopback page. Exit code 0 when the loopback page said the login
    /// worked (or, with <c>--expect-error</c>, that it failed). The output has <c>final-url=</c>, <c>final-text=</c>
    /// and <c>callback-url=</c> lines.
    /// </summary>
    public Task<(int ExitCode, string Output)> BrowserLoginWithPasswordAsync(string url, string user, string password, params string[] extra) =>
        ProcessRunner.RunAsync("node", [Path.Combine(_dir, "browser.mjs"), "--url", url, "--user", user, "--password", password, .. extra],
            TimeSpan.FromMinutes(2), environment: new Dictionary<string, string> { ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1" });

    /// <summary>Signs in as one of <see cref="Users"/>.</summary>
    public Task<(int ExitCode, string Output)> BrowserLoginAsync(string url, string user, params string[] extra) =>
        BrowserLoginWithPasswordAsync(url, user, Users[user], extra);

    private async Task<string> AdminAsync(string pathAndQuery, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(Issuer, pathAndQuery), content);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? text
            : throw new InvalidOperationException($"OIDC provider {pathAndQuery}: {((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)} {text}");
    }

    public void Dispose()
    {
        _http.Dispose();
        _process.Dispose();
    }
}
