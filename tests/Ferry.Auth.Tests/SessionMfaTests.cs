using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Users;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

/// <summary>Session MFA on the auth service: which certificates are MFA-verified, the TOTP check, grants and devices.</summary>
public sealed class SessionMfaTests : IAsyncLifetime
{
    private const string MfaRole = """
        kind: role
        name: mfa
        options: { require_session_mfa: true, session_mfa_window: 2m, max_session_ttl: 4h }
        allow:
          db_labels: { "*": "*" }
          db_users: [alice]
          db_names: [app]
        """;

    private readonly TempDirectory _dir = new();
    private readonly CapturingAuditSink _audit = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 3, 10, 0, 10, TimeSpan.Zero));
    private AuthService _service = null!;
    private UserCredentials _bob = null!;

    public async Task InitializeAsync()
    {
        _service = AuthService.Open(new AuthServiceOptions
        {
            DataDir = _dir.Path,
            ClusterName = "test",
            Time = _clock,
            SessionMfaCertificateTtl = TimeSpan.FromSeconds(20),
        }, _audit);
        await _service.ApplyRolesAsync(MfaRole, "mfa.yaml", "test");
        await _service.ApplyRolesAsync("kind: role\nname: plain\nallow:\n  db_labels: { \"*\": \"*\" }\n  db_users: [readonly]\n", "plain.yaml", "test");
        // pg1 as an agent registered it (the labels RBAC reads for the route).
        await _service.Backend.PutAsync("/db-bindings/pg1", new Ferry.Auth.Model.DatabaseBinding { Name = "pg1", HostId = "agent-1", Protocol = "postgres", Labels = new() { ["env"] = "dev" } },
            Ferry.Auth.Model.StorageJsonContext.Default.DatabaseBinding);
        _bob = await _service.AddUserAsync("bob", ["mfa", "plain"], null, "correct horse battery staple", "test");
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _dir.Dispose();
    }

    private string Code(string base32Secret, int steps = 0) => Totp.Code(Base32.Decode(base32Secret), Totp.StepAt(_clock.Now) + steps);

    /// <summary>Moves the clock to the next TOTP step (a code of a used step is refused).</summary>
    private void NextStep() => _clock.Advance(TimeSpan.FromSeconds(Totp.StepSeconds));

    private async Task<UserIdentity> LoginAsync(KeyPair key)
    {
        var reply = await _service.LoginAsync(new LoginRequest { User = "bob", Password = "correct horse battery staple", Otp = Code(_bob.TotpSecret), PublicKeyPem = key.ExportPublicKeyPem() }, "10.0.0.5");
        return Verify(reply, key);
    }

    private UserIdentity Verify(UserCertificateResponse reply, KeyPair key)
    {
        using var certificate = TlsCertificates.FromPem(reply.CertificatePem, key.ExportPrivateKeyPem());
        var verified = _service.UserVerifier.VerifyUser(certificate);
        Assert.True(verified.IsValid, verified.Message);
        return verified.Identity!;
    }

    private static UserCertificateRequest Route(KeyPair key, string dbUser = "alice", string? otp = null, string? grant = null, bool requestGrant = false) => new()
    {
        PublicKeyPem = key.ExportPublicKeyPem(),
        Route = new RouteRequest { Service = "pg1", Protocol = "postgres", DbUser = dbUser, DbName = "app" },
        Otp = otp,
        MfaGrant = grant,
        RequestMfaGrant = requestGrant ? true : null,
    };

    /// <summary>The same request for pg2 (no agent registered it: every role requiring MFA counts, so MFA is required there too).</summary>
    private static UserCertificateRequest OtherService(UserCertificateRequest request)
    {
        request.Route!.Service = "pg2";
        return request;
    }

    [Fact]
    public async Task LoginCertificate_IsNotMfaVerified_AndAPlainRouteNeedsNoCode()
    {
        using var key = KeyPair.Generate();
        var login = await LoginAsync(key);
        Assert.False(login.MfaVerified);

        var plain = Verify(await _service.ReissueUserCertificateAsync(login, Route(key, dbUser: "readonly"), "10.0.0.5"), key);
        Assert.False(plain.MfaVerified);
        Assert.Null(plain.SessionNotAfter);
    }

    [Fact]
    public async Task MfaRoute_WithoutCode_IsRefusedWith428AndAudited()
    {
        using var key = KeyPair.Generate();
        var login = await LoginAsync(key);

        var e = await Assert.ThrowsAsync<AuthException>(() => _service.ReissueUserCertificateAsync(login, Route(key), "10.0.0.5"));

        Assert.Equal(SessionMfa.RequiredStatus, e.StatusCode);
        Assert.StartsWith(SessionMfa.RequiredMessage + ": pg1", e.Message, StringComparison.Ordinal);
        Assert.Contains("ferry db connect pg1", e.Message, StringComparison.Ordinal);
        var refused = Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.SessionMfaFailure.Code);
        Assert.Equal("session_mfa_required", refused.Details!["reason"]);
    }

    [Fact]
    public async Task MfaRoute_WithAFreshCode_GetsAShortMfaCertificateWithTheLoginsSessionLimit_AndTheCodeWorksOnce()
    {
        using var key = KeyPair.Generate();
        var login = await LoginAsync(key);
        NextStep();
        var code = Code(_bob.TotpSecret);

        var reply = await _service.ReissueUserCertificateAsync(login, Route(key, otp: code), "10.0.0.5");

        var mfa = Verify(reply, key);
        Assert.True(mfa.MfaVerified);
        Assert.Equal(_clock.Now + TimeSpan.FromSeconds(20), mfa.NotAfter);
        Assert.True(reply.MfaVerified);
        Assert.Null(reply.MfaGrant);
        // Sessions opened with it run to the login's end (the login got the roles' 4h cap).
        Assert.Equal(login.NotAfter, mfa.SessionNotAfter);
        Assert.Equal(login.NotAfter, reply.SessionExpires);
        var passed = Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.SessionMfaSuccess.Code);
        Assert.Equal("login", passed.Details!["device"]);
        Assert.Equal("pg1", passed.Details["database"]);

        var reused = await Assert.ThrowsAsync<AuthException>(() => _service.ReissueUserCertificateAsync(login, Route(key, otp: code), "10.0.0.5"));
        Assert.Equal(401, reused.StatusCode);
        Assert.Contains("already used", reused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReissueFromAnMfaCertificate_IsNotMfaVerified()
    {
        using var key = KeyPair.Generate();
        var login = await LoginAsync(key);
        NextStep();
        var mfa = Verify(await _service.ReissueUserCertificateAsync(login, Route(key, otp: Code(_bob.TotpSecret)), "10.0.0.5"), key);

        var again = Verify(await _service.ReissueUserCertificateAsync(mfa, new UserCertificateRequest { PublicKeyPem = key.ExportPublicKeyPem() }, "10.0.0.5"), key);

        Assert.False(again.MfaVerified);
    }

    [Fact]
    public async Task Grant_GivesNewMfaCertificatesForTheSameKeyAndRoute_UntilTheWindowEnds()
    {
        using var key = KeyPair.Generate();
        using var other = KeyPair.Generate();
        var login = await LoginAsync(key);
        NextStep();
        var first = await _service.ReissueUserCertificateAsync(login, Route(key, otp: Code(_bob.TotpSecret), requestGrant: true), "10.0.0.5");
        Assert.NotNull(first.MfaGrant);
        Assert.Equal(_clock.Now + TimeSpan.FromMinutes(2), first.MfaGrantExpires);

        _clock.Advance(TimeSpan.FromSeconds(50)); // the first certificate has expired
        var second = await _service.ReissueUserCertificateAsync(login, Route(key, grant: first.MfaGrant), "10.0.0.5");
        Assert.True(Verify(second, key).MfaVerified);
        Assert.Null(second.MfaGrant);
        Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.SessionMfaGrantUse.Code);

        var otherKey = await Assert.ThrowsAsync<AuthException>(() => _service.ReissueUserCertificateAsync(login, Route(other, grant: first.MfaGrant), "10.0.0.5"));
        Assert.Equal(SessionMfa.RequiredStatus, otherKey.StatusCode);
        Assert.Contains("another key", otherKey.Message, StringComparison.Ordinal);
        var otherRoute = await Assert.ThrowsAsync<AuthException>(() => _service.ReissueUserCertificateAsync(login, OtherService(Route(key, grant: first.MfaGrant)), "10.0.0.5"));
        Assert.Equal(SessionMfa.RequiredStatus, otherRoute.StatusCode);
        Assert.Contains("another route", otherRoute.Message, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromMinutes(2));
        var ended = await Assert.ThrowsAsync<AuthException>(() => _service.ReissueUserCertificateAsync(login, Route(key, grant: first.MfaGrant), "10.0.0.5"));
        Assert.Equal(SessionMfa.RequiredStatus, ended.StatusCode);
        Assert.Contains("MFA window for pg1 has ended", ended.Message, StringComparison.Ordinal);
        Assert.Equal(3, _audit.Events.Count(x => x.Code == AuditEventKinds.SessionMfaGrantRefused.Code));
    }

    [Fact]
    public async Task WrongCodes_AreThrottledPerUserAndSource()
    {
        using var key = KeyPair.Generate();
        var login = await LoginAsync(key);
        var throttled = false;
        for (var i = 0; i < 50 && !throttled; i++)
        {
            var e = await Assert.ThrowsAsync<AuthException>(() => _service.ReissueUserCertificateAsync(login, Route(key, otp: "000000"), "10.0.0.5"));
            Assert.True(e.StatusCode is 401 or 429, e.Message);
            throttled = e.StatusCode == 429;
        }

        Assert.True(throttled);
        NextStep();
        var elsewhere = await _service.ReissueUserCertificateAsync(login, Route(key, otp: Code(_bob.TotpSecret)), "10.9.9.9");
        Assert.True(elsewhere.MfaVerified);
    }

    [Fact]
    public async Task AddedDevice_NeedsAnExistingCodeAndAFirstCode_ThenPassesSessionMfa()
    {
        using var key = KeyPair.Generate();
        var login = await LoginAsync(key);

        var noCode = await Assert.ThrowsAsync<AuthException>(() => _service.AddMfaDeviceAsync(login, new MfaDeviceRequest { Name = "phone" }, "10.0.0.5"));
        Assert.Equal(401, noCode.StatusCode);
        NextStep();
        var enrolment = await _service.AddMfaDeviceAsync(login, new MfaDeviceRequest { Name = "phone", Otp = Code(_bob.TotpSecret) }, "10.0.0.5");
        Assert.StartsWith("otpauth://totp/", enrolment.Uri, StringComparison.Ordinal);

        // Not confirmed yet: its codes do not pass session MFA.
        NextStep();
        var pending = await Assert.ThrowsAsync<AuthException>(() => _service.ReissueUserCertificateAsync(login, Route(key, otp: Code(enrolment.Secret)), "10.0.0.5"));
        Assert.Equal(401, pending.StatusCode);
        var wrongFirst = await Assert.ThrowsAsync<AuthException>(() => _service.ConfirmMfaDeviceAsync(login, new MfaDeviceRequest { Name = "phone", Otp = Code(_bob.TotpSecret) }, "10.0.0.5"));
        Assert.Equal(401, wrongFirst.StatusCode);
        var devices = await _service.ConfirmMfaDeviceAsync(login, new MfaDeviceRequest { Name = "phone", Otp = Code(enrolment.Secret) }, "10.0.0.5");
        Assert.Equal(["login", "phone"], devices.Devices.Select(d => d.Name));
        Assert.Single(_audit.Events, x => x.Code == AuditEventKinds.MfaDeviceAdd.Code);

        NextStep();
        var reply = await _service.ReissueUserCertificateAsync(login, Route(key, otp: Code(enrolment.Secret)), "10.0.0.5");
        Assert.True(reply.MfaVerified);
        Assert.Equal("phone", _audit.Events.Last(x => x.Code == AuditEventKinds.SessionMfaSuccess.Code).Details!["device"]);

        NextStep();
        var left = await _service.DeleteMfaDeviceAsync(login, new MfaDeviceRequest { Name = "phone", Otp = Code(_bob.TotpSecret) }, "10.0.0.5");
        Assert.Equal(["login"], left.Devices.Select(d => d.Name));
    }

    [Fact]
    public async Task UserWithoutLocalRecord_AddsAFirstDeviceWithoutACode()
    {
        // An SSO user has no local record: its devices live under its name all the same.
        var sso = new UserIdentity { User = "carol@example.com", ClusterName = "test", Roles = ["mfa"], NotAfter = _clock.Now + TimeSpan.FromHours(1) };

        var enrolment = await _service.AddMfaDeviceAsync(sso, new MfaDeviceRequest { Name = "phone" }, "10.0.0.7");
        await _service.ConfirmMfaDeviceAsync(sso, new MfaDeviceRequest { Name = "phone", Otp = Code(enrolment.Secret) }, "10.0.0.7");

        var second = await Assert.ThrowsAsync<AuthException>(() => _service.AddMfaDeviceAsync(sso, new MfaDeviceRequest { Name = "tablet" }, "10.0.0.7"));
        Assert.Equal(401, second.StatusCode);
        Assert.Equal(["phone"], (await _service.ListMfaDevicesAsync(sso)).Devices.Select(d => d.Name));
    }
}
