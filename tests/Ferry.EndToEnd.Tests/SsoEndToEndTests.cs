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

    /// <summary>
    /// <c>ferry login --sso [CONNECTOR] --browser=none</c>; Chromium opens the address it prints and signs in as
    /// <paramref name="user"/>; returns both outputs once ferry has exited.
    /// </summary>
    private async Task<SsoAttempt> SsoLoginAsync(FerryCli cli, string user, string? connector = SsoClusterFixture.Connector, params string[] browserExtra)
    {
        string[] args = ["login", "--proxy", cli.Proxy, "--mysql-proxy", cli.MySqlProxy, "--sso", .. connector is null ? Array.Empty<string>() : [connector], "--browser=none"];
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
            throw new InvalidOperationException($"ferry login --sso did not finish:\n{ferry.Output}\nbrowser:\n{browserOutput}");
        }

        var attempt = new SsoAttempt(ferry.Process.ExitCode, ferry.Output, browserCode, browserOutput);
        output.WriteLine(attempt.Describe());
        return attempt;
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..]
            ?? throw new InvalidOperationException($"no {prefix} line in: {output}");
}
