using System.Net;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

public sealed class LoginTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Bootstrap_FirstAdminAddedLocally_LogsInOverHttpsAndGetsAVerifiableCertificate()
    {
        var (password, secret, uri) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin", "--traits", "db_users=alice,readonly");
        Assert.StartsWith("otpauth://totp/Ferry:alice?secret=" + secret + "&issuer=Ferry", uri, StringComparison.Ordinal);
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();

        var response = await AuthTestHost.LoginAsync(client, "alice", password, AuthTestHost.Otp(secret), key);

        var issued = await AuthTestHost.ReadAsync(response, AuthApiJsonContext.Default.UserCertificateResponse);
        using var certificate = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        var verified = server.Service.UserVerifier.VerifyUser(certificate);
        Assert.True(verified.IsValid, verified.Message);
        Assert.Equal("alice", verified.Identity.User);
        Assert.Equal(["admin"], verified.Identity.Roles);
        Assert.Equal(["alice", "readonly"], verified.Identity.Traits["db_users"]);
        // The login's TOTP is the login method; only a session MFA check issues MFA-verified (1-minute) certificates.
        Assert.False(verified.Identity.MfaVerified);
        Assert.True(issued.Expires <= DateTimeOffset.UtcNow + TimeSpan.FromHours(12) + TimeSpan.FromMinutes(1));
        Assert.Contains("BEGIN CERTIFICATE", issued.UserCaPem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_TtlIsCappedByTheRolesMaxSessionTtl()
    {
        var role = Path.Combine(_dir.Path, "short.yaml");
        await File.WriteAllTextAsync(role, "kind: role\nname: short\noptions: { max_session_ttl: 30m }\n");
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", role)).Code);
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "carol", "short,admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();

        var response = await AuthTestHost.LoginAsync(client, "carol", password, AuthTestHost.Otp(secret), key, ttlSeconds: 24 * 3600);

        var issued = await AuthTestHost.ReadAsync(response, AuthApiJsonContext.Default.UserCertificateResponse);
        Assert.True(issued.Expires <= DateTimeOffset.UtcNow + TimeSpan.FromMinutes(31), issued.Expires.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Login_WrongPasswordWrongCodeAndReusedCode_GetTheSameMessage()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();
        var code = AuthTestHost.Otp(secret);
        var wrongCode = code == "000000" ? "000001" : "000000";

        var badPassword = await AuthTestHost.LoginAsync(client, "alice", password + "x", code, key);
        var badCode = await AuthTestHost.LoginAsync(client, "alice", password, wrongCode, key);
        var noUser = await AuthTestHost.LoginAsync(client, "mallory", password, code, key);
        var good = await AuthTestHost.LoginAsync(client, "alice", password, code, key);
        var reused = await AuthTestHost.LoginAsync(client, "alice", password, code, key);

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        foreach (var r in new[] { badPassword, badCode, noUser, reused })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal(AuthService.LoginFailedMessage, await AuthTestHost.ErrorAsync(r));
        }
    }

    [Fact]
    public async Task GuessingLoop_OfAThousandAttempts_IsThrottledAndOtherUsersStillLogIn()
    {
        var (bobPassword, bobSecret, _) = await AdminRunner.AddUserAsync(_dir.Path, "bob", "admin");
        var (alicePassword, aliceSecret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();

        int rejected = 0, throttled = 0, other = 0;
        for (var i = 0; i < 1000; i++)
        {
            using var r = await AuthTestHost.LoginAsync(client, "bob", "guess-number-" + i, "123456", key);
            switch (r.StatusCode)
            {
                case HttpStatusCode.Unauthorized: rejected++; break;
                case HttpStatusCode.TooManyRequests:
                    throttled++;
                    Assert.True(r.Headers.RetryAfter?.Delta > TimeSpan.Zero);
                    break;
                default: other++; break;
            }
        }

        // Only a handful of guesses ever reach the password check: 5 free ones, then one per expired lockout
        // (1 s, 2 s, 4 s, ...), however slow the machine; every other attempt is refused unchecked.
        Assert.Equal(0, other);
        Assert.Equal(1000, rejected + throttled);
        Assert.InRange(rejected, 5, 19);
        var alice = await AuthTestHost.LoginAsync(client, "alice", alicePassword, AuthTestHost.Otp(aliceSecret), key);
        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        _ = (bobPassword, bobSecret);
    }

    [Fact]
    public async Task Restart_KeepsUsersRolesTokensAndLocks_AndTheUserLogsInAgain()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        var role = Path.Combine(_dir.Path, "dev.yaml");
        await File.WriteAllTextAsync(role, "kind: role\nname: dev\nallow: { db_labels: { env: dev }, db_users: [ro], db_names: [app] }\n");
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", role)).Code);
        byte[] userCaBefore;
        await using (var first = await AuthTestHost.StartAsync(_dir.Path))
        {
            using var client = AuthTestHost.Client(first);
            using var key = KeyPair.Generate();
            Assert.Equal(HttpStatusCode.OK, (await AuthTestHost.LoginAsync(client, "alice", password, AuthTestHost.Otp(secret), key)).StatusCode);
            await first.Service.AddTokenAsync("agent", TimeSpan.FromHours(1), true, "test");
            await first.Service.AddLockAsync("user", "mallory", "gone", null, "test");
            userCaBefore = (await first.Service.GetRoleAsync("dev")) is null ? [] : System.Text.Encoding.ASCII.GetBytes(first.Service.GetCertificateAuthorities().UserCaPem);
            await first.StopAsync();
        }

        await using var second = await AuthTestHost.StartAsync(_dir.Path);
        using var again = AuthTestHost.Client(second);
        using var newKey = KeyPair.Generate();

        // The code of the current step was spent before the restart: the next step's code is accepted (one step of skew).
        var relogin = await AuthTestHost.LoginAsync(again, "alice", password, AuthTestHost.Otp(secret, 1), newKey);
        Assert.Equal(HttpStatusCode.OK, relogin.StatusCode);
        Assert.NotNull(await second.Service.GetRoleAsync("dev"));
        Assert.Single(await second.Service.ListTokensAsync());
        Assert.Single(await second.Service.ListLocksAsync());
        Assert.Equal(userCaBefore, System.Text.Encoding.ASCII.GetBytes(second.Service.GetCertificateAuthorities().UserCaPem));
    }

    [Fact]
    public async Task LockedUser_CannotLogIn()
    {
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "alice", "admin");
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--user", "alice", "--message", "offboarding")).Code);
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var client = AuthTestHost.Client(server);
        using var key = KeyPair.Generate();

        var r = await AuthTestHost.LoginAsync(client, "alice", password, AuthTestHost.Otp(secret), key);

        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("user \"alice\" is locked: offboarding", await AuthTestHost.ErrorAsync(r), StringComparison.Ordinal);
    }
}
