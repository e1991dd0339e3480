using System.Text.RegularExpressions;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>A cluster whose session-MFA certificates live 2 seconds (instead of 1 minute), so a test spans several.</summary>
public sealed class SessionMfaClusterFixture : IAsyncLifetime
{
    public const int CertificateSeconds = 2;

    /// <summary>
    /// Long enough for three connections two certificate lifetimes apart with room to spare on a loaded CI machine
    /// (they took 12-18 s there with a 30 s window, which the test then asserted it had not left).
    /// </summary>
    public const int WindowSeconds = 45;

    public FerryCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await FerryCluster.StartAsync(authOptions: _ => Task.FromResult($"session_mfa_certificate_ttl: {CertificateSeconds}s"));
        await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, $$"""
            kind: role
            name: mfa-dev
            options: { require_session_mfa: true, session_mfa_window: {{WindowSeconds}}s }
            allow:
              db_labels: { env: dev }
              db_users: [alice]
              db_names: [app]
            """);
        await SessionMfaEndToEndTests.ApplyRoleAsync(Cluster, """
            kind: role
            name: plain-prod
            allow:
              db_labels: { env: prod }
              db_users: [alice]
              db_names: [app]
            """);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// MFA per database session with the real binaries, psql and mysql: the server asks for a code, the agent refuses
/// certificates that are not MFA-verified, <c>ferry proxy db</c> asks once per <c>session_mfa_window</c>, and a
/// device added with <c>ferry mfa add</c> passes it.
/// </summary>
public sealed class SessionMfaEndToEndTests(SessionMfaClusterFixture fixture) : IClassFixture<SessionMfaClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private static string[] Psql(string marker) => ["--", "-X", "-A", "-t", "-c", $"SELECT '{marker}'"];

    [Fact]
    public async Task DbConnect_ToAnMfaRoute_IsRefusedWithoutACode_WorksWithOne_AndOtherRoutesNeedNone()
    {
        var user = await Cluster.AddUserAsync("m" + Guid.NewGuid().ToString("N")[..8], "mfa-dev,plain-prod");
        using var cli = new FerryCli(Cluster);
        var codes = new TotpSteps(user.TotpSecret);
        var (login, loginOutput) = await cli.LoginAtAsync(user, codes.LoginTime());
        Assert.True(login == 0, loginOutput);

        var (refused, refusedOutput) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice", "--db-name", "app", .. Psql("no-code")]);
        Assert.Equal(1, refused);
        Assert.Contains("this database requires MFA per session: pg1 needs a fresh one-time code", refusedOutput);
        Assert.Contains("pass --otp CODE or set FERRY_OTP", refusedOutput);

        // The session outlives its 2-second MFA certificate: the agent ends it at the session limit (the login's end).
        var sleep = (SessionMfaClusterFixture.CertificateSeconds + 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (ok, okOutput) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice", "--db-name", "app", "--otp", await codes.NextAsync(),
            "--", "-X", "-A", "-t", "-c", $"SELECT pg_sleep({sleep})", "-c", "SELECT 'mfa-psql-ok'"]);
        Assert.True(ok == 0, okOutput + Cluster.FerrydLog);
        Assert.Contains("mfa-psql-ok", okOutput);

        var (my, myOutput) = await cli.RunAsync(["db", "connect", "my1", "--db-user", "alice", "--db-name", "app", "--otp", await codes.NextAsync(), "--", "--batch", "--skip-column-names", "-e", "SELECT 'mfa-mysql-ok'"]);
        Assert.True(my == 0, myOutput + Cluster.FerrydLog);
        Assert.Contains("mfa-mysql-ok", myOutput);

        // pgprod is granted by a role without require_session_mfa: no code.
        var (prod, prodOutput) = await cli.RunAsync(["db", "connect", "pgprod", "--db-user", "alice", "--db-name", "app", .. Psql("plain-ok")]);
        Assert.True(prod == 0, prodOutput);
        Assert.Contains("plain-ok", prodOutput);
    }

    [Fact]
    public async Task Agent_RefusesARouteCertificateThatIsNotMfaVerified_AndAuditsIt()
    {
        // A certificate issued before the role required MFA, presented straight to the proxy by psql.
        var roleName = "late" + Guid.NewGuid().ToString("N")[..6];
        await ApplyRoleAsync(Cluster, LateRole(roleName, mfa: false));
        var user = await Cluster.AddUserAsync("f" + Guid.NewGuid().ToString("N")[..8], roleName);
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var (before, beforeOutput) = await Cluster.PsqlAsync(creds, "SELECT 'before'");
        Assert.True(before == 0, beforeOutput);

        await ApplyRoleAsync(Cluster, LateRole(roleName, mfa: true));
        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 'forged'");

        Assert.NotEqual(0, code);
        Assert.Contains("database \"pg1\" requires MFA per session and this certificate is not MFA-verified", output);
        Assert.Contains("`ferry db connect pg1` or `ferry proxy db pg1`", output);
        var audit = await SearchAuditAsync($"user={user.User}&type=db.session.start", "mfa_required");
        Assert.Contains("\"reason\":\"mfa_required\"", audit);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{Cluster.DiagPort}/metrics"));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("ferry_refusals_total{", StringComparison.Ordinal)
            && l.Contains("side=\"agent\"", StringComparison.Ordinal) && l.Contains("reason=\"mfa_required\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProxyDb_AsksOnce_OpensConnectionsAcrossSeveralCertificates_ThenAsksAgainAfterTheWindow()
    {
        var user = await Cluster.AddUserAsync("p" + Guid.NewGuid().ToString("N")[..8], "mfa-dev");
        using var cli = new FerryCli(Cluster);
        var codes = new TotpSteps(user.TotpSecret);
        var (login, loginOutput) = await cli.LoginAtAsync(user, codes.LoginTime());
        Assert.True(login == 0, loginOutput);
        var port = FerryCli.PortText(FreePort.Next());

        using var proxy = await cli.StartAsync(["proxy", "db", "pg1", "--port", port, "--db-user", "alice", "--db-name", "app", "--otp", await codes.NextAsync()], "Press Ctrl+C", redirectStdin: true);
        var windowStart = DateTimeOffset.UtcNow;
        Assert.Contains("pg1 requires MFA per session: new connections open without a new check until", proxy.Output);
        var conninfo = $"host=127.0.0.1 port={port} user=alice dbname=app sslmode=disable password={FerryCli.LocalProxySecret(proxy.Output)}";

        // Three connections, each after the previous certificate expired: each gets a new certificate from the grant.
        for (var i = 0; i < 3; i++)
        {
            var (code, output) = await cli.PsqlAsync(conninfo, $"SELECT 'within-window-{i}'");
            Assert.True(code == 0, output + proxy.Output);
            await Task.Delay(TimeSpan.FromSeconds(SessionMfaClusterFixture.CertificateSeconds + 1));
        }

        Assert.DoesNotContain("reading a one-time code", proxy.Output);
        Assert.True(DateTimeOffset.UtcNow < windowStart + TimeSpan.FromSeconds(SessionMfaClusterFixture.WindowSeconds), "the machine was too slow to stay inside the MFA window");
        // The second and third connections came after the previous certificate had expired: each used the grant.
        var grantUses = await SearchAuditAsync($"user={user.User}&type=session.mfa.grant", "TMF01I", minCount: 2);
        Assert.True(Regex.Matches(grantUses, "TMF01I").Count >= 2, grantUses);

        // After the window: the next connection makes the proxy ask again (here on its standard input).
        var left = windowStart + TimeSpan.FromSeconds(SessionMfaClusterFixture.WindowSeconds + 1) - DateTimeOffset.UtcNow;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }

        var afterWindow = cli.PsqlAsync(conninfo, "SELECT 'after-window'");
        await WaitForAsync(() => proxy.Output.Contains("reading a one-time code from standard input", StringComparison.Ordinal), proxy);
        Assert.Contains("the MFA window for pg1 has ended", proxy.Output);
        await proxy.Process.StandardInput.WriteLineAsync(await codes.NextAsync());
        await proxy.Process.StandardInput.FlushAsync();
        var (after, afterOutput) = await afterWindow;
        Assert.True(after == 0, afterOutput + proxy.Output);
        Assert.Contains("after-window", afterOutput);
        Assert.Single(Regex.Matches(proxy.Output, "reading a one-time code"));
    }

    [Fact]
    public async Task MfaAdd_ThenSessionMfaWithTheNewDevice()
    {
        var user = await Cluster.AddUserAsync("d" + Guid.NewGuid().ToString("N")[..8], "mfa-dev");
        using var cli = new FerryCli(Cluster);
        var codes = new TotpSteps(user.TotpSecret);
        var (login, loginOutput) = await cli.LoginAtAsync(user, codes.LoginTime());
        Assert.True(login == 0, loginOutput);

        var (noCode, noCodeOutput) = await cli.RunAsync(["mfa", "add", "phone"]);
        Assert.Equal(1, noCode);
        Assert.Contains("needs a one-time code from one you already have", noCodeOutput);

        var added = await cli.RunCheckedAsync("mfa", "add", "phone", "--otp", await codes.NextAsync());
        var secret = Regex.Match(added, @"Secret: ([A-Z2-7]+)").Groups[1].Value;
        Assert.NotEmpty(secret);
        Assert.Contains("otpauth://totp/", added);
        var device = new TotpSteps(secret);
        var confirmed = await cli.RunCheckedAsync("mfa", "confirm", "phone", "--otp", await device.NextAsync());
        Assert.Contains("Added TOTP device \"phone\"", confirmed);
        var list = await cli.RunCheckedAsync("mfa", "ls");
        Assert.Contains("phone", list);
        Assert.Contains("login", list);

        var (ok, okOutput) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice", "--db-name", "app", "--otp", await device.NextAsync(), .. Psql("device-ok")]);
        Assert.True(ok == 0, okOutput);
        Assert.Contains("device-ok", okOutput);
        var audit = await SearchAuditAsync($"user={user.User}&type=session.mfa", "\"device\":\"phone\"");
        Assert.Contains("\"device\":\"phone\"", audit);
    }

    internal static async Task ApplyRoleAsync(FerryCluster cluster, string yaml)
    {
        var path = Path.Combine(cluster.Root, "role-" + Guid.NewGuid().ToString("N")[..8] + ".yaml");
        await File.WriteAllTextAsync(path, yaml);
        await cluster.AdminAsync("roles", "apply", "-f", path);
    }

    private static string LateRole(string name, bool mfa) => $$"""
        kind: role
        name: {{name}}
        options: { require_session_mfa: {{(mfa ? "true" : "false")}} }
        allow:
          db_labels: { env: dev }
          db_users: [alice]
          db_names: [app]
        """;

    private static async Task WaitForAsync(Func<bool> condition, FerryCli.Running proxy)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting; ferry proxy db said: " + proxy.Output);
            await Task.Delay(100);
        }
    }

    private async Task<string> SearchAuditAsync(string query, string mustContain, int minCount = 1)
    {
        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var body = "";
        while (DateTime.UtcNow < deadline)
        {
            body = await api.GetStringAsync($"/v1/audit/search?{query}&since=1h&limit=1000");
            if (Regex.Matches(body, Regex.Escape(mustContain)).Count >= minCount)
            {
                break;
            }

            await Task.Delay(250);
        }

        return body;
    }

    /// <summary>
    /// TOTP codes for one secret, each of a newer step than the last (the server accepts a step once, and one step of
    /// skew): the next step right away when it is at most one ahead of now, else after the clock reaches it.
    /// </summary>
    internal sealed class TotpSteps(string secret)
    {
        private long _last = -1;

        private static long StepNow => DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;

        /// <summary>The time of the code the login uses (the current step, remembered as used).</summary>
        public DateTimeOffset LoginTime()
        {
            _last = StepNow;
            return DateTimeOffset.FromUnixTimeSeconds(_last * 30);
        }

        public async Task<string> NextAsync()
        {
            var step = Math.Max(StepNow, _last + 1);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (step > StepNow + 1 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }

            _last = step;
            return Totp.Code(secret, DateTimeOffset.FromUnixTimeSeconds(step * 30));
        }
    }
}
