using System.Net;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// <c>ferry login --sso</c> with the real binaries, a real OIDC provider and a real headless Chromium signing in
/// through the provider's pages; everything through the proxy's single port.
/// </summary>
public sealed class SsoEndToEndTests(SsoClusterFixture fixture, ITestOutputHelper output) : IClassFixture<SsoClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private OidcProviderFixture Provider => fixture.Provider;

    [Fact]
    public async Task SsoLogin_MapsGroupsToARole_AndTheDbUsersClaimIntoTheRole_PsqlConnectsAsThatDbUser()
    {
        using var cli = new FerryCli(Cluster);
        // --sso alone: the cluster has exactly one connector.
        var login = await SsoLoginAsync(cli, "alice", connector: null);
        Assert.True(login.ExitCode == 0, login.Describe());
        Assert.Contains("via single sign-on (idp)", login.Ferry);
        Assert.Contains("(roles: sso-dba)", login.Ferry);
        Assert.Contains("final-text=Logged in", login.Browser);

        var status = await cli.RunCheckedAsync("status");
        Assert.Contains("Roles:     sso-dba", status);
        Assert.Contains("Traits:", status);
        Assert.Contains("alice_db", status);

        await cli.RunCheckedAsync("db", "login", "pg1", "--db-user", "alice_db", "--db-name", "app");
        var (psql, psqlOutput) = await cli.PsqlAsync("service=ferry-pg1", "SELECT current_user");
        Assert.True(psql == 0, psqlOutput);
        Assert.Equal("alice_db", psqlOutput.Trim());

        // The claim is the only db user the role grants: another one is refused by the agent.
        var (other, otherOutput) = await cli.RunAsync(["db", "login", "pg1", "--db-user", "carol_db", "--db-name", "app"]);
        if (other == 0)
        {
            (other, otherOutput) = await cli.PsqlAsync("service=ferry-pg1", "SELECT current_user");
        }

        Assert.NotEqual(0, other);
        Assert.Contains("carol_db", otherOutput);
    }

    [Fact]
    public async Task SsoLogin_AfterTheProviderRotatesItsSigningKey_WorksAgain()
    {
        using var cli = new FerryCli(Cluster);
        var first = await SsoLoginAsync(cli, "alice");
        Assert.True(first.ExitCode == 0, first.Describe());

        var kid = await Provider.RotateSigningKeyAsync();
        Assert.Equal(kid, (await Provider.KidsAsync())[0]);
        var second = await SsoLoginAsync(cli, "alice");
        Assert.True(second.ExitCode == 0, second.Describe() + Cluster.FerrydLog);
        Assert.Contains("via single sign-on (idp)", second.Ferry);
    }

    [Theory]
    [InlineData(IdTokenMode.Tampered)]
    [InlineData(IdTokenMode.WrongAudience)]
    [InlineData(IdTokenMode.Expired)]
    [InlineData(IdTokenMode.WrongNonce)]
    public async Task SsoLogin_WithABadIdToken_IsRefused_AndNothingIsSaved(IdTokenMode mode)
    {
        using var cli = new FerryCli(Cluster);
        await Provider.SetIdTokenModeAsync(mode);
        SsoAttempt login;
        try
        {
            login = await SsoLoginAsync(cli, "alice", browserExtra: "--expect-error");
        }
        finally
        {
            await Provider.SetIdTokenModeAsync(IdTokenMode.Normal);
        }

        Assert.True(login.ExitCode == 1, login.Describe());
        Assert.Contains("ferry: ", login.Ferry);
        Assert.Equal(0, login.BrowserExitCode);
        Assert.False(File.Exists(Path.Combine(cli.FerryHome, "cert.pem")), login.Describe());
        Assert.False(File.Exists(Path.Combine(cli.FerryHome, "profile.json")), login.Describe());
    }

    [Fact]
    public async Task ReplayingTheProvidersRedirect_IsRefused()
    {
        using var cli = new FerryCli(Cluster);
        var login = await SsoLoginAsync(cli, "alice");
        Assert.True(login.ExitCode == 0, login.Describe());
        var callback = Line(login.Browser, "callback-url=");
        Assert.Contains("state=", callback);

        // An attacker holding the redirect URL (browser history, a proxy log) replays it to ferryd.
        using var http = new HttpClient(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        });
        using var replay = await http.GetAsync(new Uri(callback));
        var body = await replay.Content.ReadAsStringAsync();
        var location = replay.Headers.Location?.ToString() ?? "";
        Assert.False(replay.StatusCode == HttpStatusCode.Redirect && location.Contains("status=ok", StringComparison.Ordinal), $"{replay.StatusCode} {location} {body}");
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Contains("already used or has expired", body);
    }

    [Fact]
    public async Task SsoLogin_OfAUserWhoseClaimsMapToNoRole_IsRefusedWithAMessageSayingSo()
    {
        using var cli = new FerryCli(Cluster);
        var login = await SsoLoginAsync(cli, "mallory", browserExtra: "--expect-error");
        Assert.True(login.ExitCode == 1, login.Describe());
        Assert.Contains("role", login.Ferry, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("map", login.Ferry, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Login failed", login.Browser);
        Assert.False(File.Exists(Path.Combine(cli.FerryHome, "cert.pem")));
    }

    [Fact]
    public async Task SsoLogin_WithAnUnknownConnector_ListsTheConnectorsTheClusterOffers()
    {
        using var cli = new FerryCli(Cluster);
        var (code, output) = await cli.RunAsync(["login", "--proxy", cli.Proxy, "--sso", "okta", "--browser=none"]);
        Assert.Equal(1, code);
        Assert.Contains("no single sign-on connector \"okta\"", output);
        Assert.Contains("idp", output);
        Assert.Contains("Test IdP", output);
    }

    internal sealed record SsoAttempt(int ExitCode, string Ferry, int BrowserExitCode, string Browser)
    {
        public string Describe() => $"ferry exited {ExitCode}:\n{Ferry}\nbrowser exited {BrowserExitCode}:\n{Browser}";
    }

    [Fact]
    public async Task SsoUser_EnrolsATotpDevice_AndPassesSessionMfaWithIt()
    {
        using var cli = new FerryCli(Cluster);
        var login = await SsoLoginAsync(cli, "alice");
        Assert.True(login.ExitCode == 0, login.Describe());
        try
        {
            // The role the provider's groups map to now requires MFA per session.
            await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, SsoClusterFixture.SsoRole.Replace(
                "options: { max_session_ttl: 8h }", "options: { max_session_ttl: 8h, require_session_mfa: true }", StringComparison.Ordinal));
            var (refused, refusedOutput) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice_db", "--db-name", "app", "--", "-At", "-c", "SELECT 1"]);
            Assert.NotEqual(0, refused);
            Assert.Contains("requires MFA per session", refusedOutput);

            // An SSO user has no local record and no login TOTP: the first device is enrolled with the SSO certificate.
            var added = await cli.RunCheckedAsync("mfa", "add", "phone");
            var secret = System.Text.RegularExpressions.Regex.Match(added, @"Secret: ([A-Z2-7]+)").Groups[1].Value;
            Assert.NotEmpty(secret);
            var device = new SessionMfaEndToEndTests.TotpSteps(secret);
            var confirmed = await cli.RunCheckedAsync("mfa", "confirm", "phone", "--otp", await device.NextAsync());
            Assert.Contains("Added TOTP device \"phone\"", confirmed);

            var (ok, okOutput) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice_db", "--db-name", "app", "--otp", await device.NextAsync(), "--", "-At", "-c", "SELECT 'sso-mfa-' || current_user"]);
            Assert.True(ok == 0, okOutput + Cluster.FerrydLog);
            Assert.Contains("sso-mfa-alice_db", okOutput);
        }
        finally
        {
            await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, SsoClusterFixture.SsoRole);
        }
    }

    [Fact]
    public async Task SsoUser_WhoseRoleRequiresSessionMfa_PassesItAtTheProvider_AndPsqlConnects_WhileAUserWithoutTheMfaClaimIsRefused()
    {
        await using var connector = await MfaConnectorAsync();
        await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, MfaRole);
        try
        {
            // carol's provider login carries amr [pwd, otp], which connector idp-mfa trusts as MFA.
            using var carol = new FerryCli(Cluster);
            var login = await SsoLoginAsync(carol, "carol", MfaConnectorName);
            Assert.True(login.ExitCode == 0, login.Describe());
            var connect = await SsoMfaAsync(carol, "carol", ["db", "connect", "pg1", "--db-user", "carol_db", "--db-name", "app", "--browser=none", "--", "-At", "-c", "SELECT 'provider-mfa-' || current_user"]);
            Assert.True(connect.ExitCode == 0, connect.Describe() + Cluster.FerrydLog);
            Assert.Contains("sign in at the identity provider again", connect.Ferry);
            Assert.Contains("provider-mfa-carol_db", connect.Ferry);
            Assert.Contains("final-text=MFA passed", connect.Browser);

            // alice signs in at the provider without MFA: the cluster refuses the session certificate and says why.
            using var alice = new FerryCli(Cluster);
            var aliceLogin = await SsoLoginAsync(alice, "alice", MfaConnectorName);
            Assert.True(aliceLogin.ExitCode == 0, aliceLogin.Describe());
            var refused = await SsoMfaAsync(alice, "alice", ["db", "connect", "pg1", "--db-user", "alice_db", "--db-name", "app", "--browser=none", "--", "-At", "-c", "SELECT 'must-not-run'"]);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("did not show a fresh MFA", refused.Ferry);
            Assert.DoesNotContain("must-not-run", refused.Ferry);

            // --mfa=otp keeps the one-time code path for the SSO user who has no device: it says how to pass a code.
            await carol.RunCheckedAsync("db", "logout", "pg1");
            var (otp, otpOutput) = await carol.RunAsync(["db", "connect", "pg1", "--db-user", "carol_db", "--db-name", "app", "--mfa=otp", "--", "-At", "-c", "SELECT 1"]);
            Assert.NotEqual(0, otp);
            Assert.Contains("pass --otp CODE", otpOutput);
        }
        finally
        {
            await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, SsoClusterFixture.SsoRole);
        }
    }

    [Fact]
    public async Task ProxyDb_ForAnSsoUser_PassesSessionMfaAtTheProviderOnce_AndOpensLaterConnectionsWithTheGrant()
    {
        await using var connector = await MfaConnectorAsync();
        await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, MfaRole);
        try
        {
            using var carol = new FerryCli(Cluster);
            var login = await SsoLoginAsync(carol, "carol", MfaConnectorName);
            Assert.True(login.ExitCode == 0, login.Describe());
            var port = FerryCli.PortText(FreePort.Next());
            using var proxy = await carol.StartAsync(["proxy", "db", "pg1", "--port", port, "--db-user", "carol_db", "--db-name", "app", "--browser=none"], ready: "Waiting up to");
            var url = proxy.Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("http", StringComparison.Ordinal));
            var (browserCode, browserOutput) = await Provider.BrowserLoginAsync(url, "carol");
            Assert.True(browserCode == 0, browserOutput);
            await WaitForOutputAsync(proxy, "Press Ctrl+C");
            Assert.Contains("new connections open without a new check until", proxy.Output);
            Assert.Contains("you sign in at the identity provider again", proxy.Output);

            var conninfo = $"host=127.0.0.1 port={port} user=carol_db dbname=app sslmode=disable password={FerryCli.LocalProxySecret(proxy.Output)}";
            for (var i = 0; i < 2; i++)
            {
                var (code, output) = await carol.PsqlAsync(conninfo, $"SELECT 'proxied-{i}-' || current_user");
                Assert.True(code == 0, output + proxy.Output);
                Assert.Contains($"proxied-{i}-carol_db", output);
            }

            // After the first 1-minute certificate has expired, the next connection gets a new one with the grant.
            await Task.Delay(TimeSpan.FromSeconds(62));
            var (late, lateOutput) = await carol.PsqlAsync(conninfo, "SELECT 'with-grant-' || current_user");
            Assert.True(late == 0, lateOutput + proxy.Output);
            Assert.Contains("with-grant-carol_db", lateOutput);

            // One trip to the provider for the whole window.
            Assert.Equal(1, proxy.Output.Split('\n').Count(l => l.TrimStart().StartsWith("http", StringComparison.Ordinal)));
        }
        finally
        {
            await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, SsoClusterFixture.SsoRole);
        }
    }

    private const string MfaConnectorName = "idp-mfa";

    private static readonly string MfaRole = SsoClusterFixture.SsoRole.Replace(
        "options: { max_session_ttl: 8h }", "options: { max_session_ttl: 8h, require_session_mfa: true }", StringComparison.Ordinal);

    /// <summary>Stores connector <c>idp-mfa</c> (the test provider, trusting <c>amr: otp</c> as MFA) until disposed.</summary>
    private async Task<StoredConnector> MfaConnectorAsync()
    {
        var file = Path.Combine(Cluster.Root, MfaConnectorName + ".yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: {{MfaConnectorName}}
            display_name: Test IdP with MFA
            issuer_url: {{Provider.IssuerText}}
            client_id: {{SsoClusterFixture.ClientId}}
            client_secret_file: {{Path.Combine(Cluster.Root, "idp-client-secret")}}
            redirect_url: https://localhost:{{FerryCli.PortText(Cluster.ProxyPort)}}/v1/sso/callback
            scopes: [openid, email, profile, groups]
            claims_to_roles:
              - { claim: groups, value: dba, roles: [sso-dba] }
            mfa: { amr: [otp] }
            """);
        await Cluster.AdminAsync("sso", "add", "-f", file, "--replace");
        return new StoredConnector(Cluster);
    }

    private sealed class StoredConnector(FerryCluster cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await cluster.AdminAsync("sso", "rm", MfaConnectorName);
    }

    /// <summary>Starts <c>ferry ARGS</c> (which must print the provider's address), signs in as <paramref name="user"/> with Chromium, waits for ferry to exit.</summary>
    private async Task<SsoAttempt> SsoMfaAsync(FerryCli cli, string user, string[] args)
    {
        var attempt = await BrowserRoundTripAsync(cli, user, args, []);
        Assert.Contains("prompt=login", attempt.Ferry);
        return attempt;
    }

    private static async Task WaitForOutputAsync(FerryCli.Running running, string text)
    {
        for (var i = 0; i < 1200 && !running.Output.Contains(text, StringComparison.Ordinal); i++)
        {
            Assert.False(running.Process.HasExited, running.Output);
            await Task.Delay(100);
        }

        Assert.Contains(text, running.Output);
    }

    /// <summary>
    /// <c>ferry login --sso [CONNECTOR] --browser=none</c>; Chromium opens the address it prints and signs in as
    /// <paramref name="user"/>; returns both outputs once ferry has exited.
    /// </summary>
    private async Task<SsoAttempt> SsoLoginAsync(FerryCli cli, string user, string? connector = SsoClusterFixture.Connector, params string[] browserExtra)
    {
        string[] args = ["login", "--proxy", cli.Proxy, "--mysql-proxy", cli.MySqlProxy, "--sso", .. connector is null ? Array.Empty<string>() : [connector], "--browser=none"];
        return await BrowserRoundTripAsync(cli, user, args, browserExtra);
    }

    /// <summary>Starts <c>ferry ARGS</c>, which prints the provider's address; Chromium opens it and signs in as <paramref name="user"/>; both outputs once ferry has exited.</summary>
    private async Task<SsoAttempt> BrowserRoundTripAsync(FerryCli cli, string user, string[] args, string[] browserExtra)
    {
        using var ferry = await cli.StartAsync(args, ready: "Waiting up to");
        var url = ferry.Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("http", StringComparison.Ordinal));
        var (browserCode, browserOutput) = await Provider.BrowserLoginAsync(url, user, browserExtra);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await ferry.Process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"ferry {string.Join(' ', args)} did not finish:\n{ferry.Output}\nbrowser:\n{browserOutput}");
        }

        var attempt = new SsoAttempt(ferry.Process.ExitCode, ferry.Output, browserCode, browserOutput);
        output.WriteLine(attempt.Describe());
        return attempt;
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..]
            ?? throw new InvalidOperationException($"no {prefix} line in: {output}");
}
