using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Audit;
using Ferry.Auth.Users;
using Ferry.Identity;
using Ferry.Identity.Tests.WebAuthn;
using Ferry.Identity.WebAuthn;
using Ferry.Web;

namespace Ferry.Auth.Tests;

/// <summary>
/// A security key is registered only after a fresh re-authentication given with the request that starts it: the
/// password and an unused one-time code, or an assertion of a key the user already has for a challenge of the same
/// web session. Refusals are 403s, audited as <c>mfa.device.add</c> failures with their reason.
/// </summary>
public sealed class WebAuthnReauthTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private const string Session = "web-session-1";
    private const string Address = "10.0.0.5";

    private readonly TempDirectory _dir = new();
    private readonly CapturingAuditSink _audit = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 4, 10, 0, 10, TimeSpan.Zero));
    private AuthService _service = null!;
    private UserCredentials _bob = null!;
    private UserIdentity _caller = null!;

    public async Task InitializeAsync()
    {
        _service = AuthService.Open(new AuthServiceOptions { DataDir = _dir.Path, ClusterName = "test", Time = _clock }, _audit);
        _bob = await _service.AddUserAsync("bob", [], null, Password, "test");
        _caller = new UserIdentity { User = "bob", ClusterName = "test", Roles = [] };
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _dir.Dispose();
    }

    private string Code(int steps = 0) => Totp.Code(Base32.Decode(_bob.TotpSecret), Totp.StepAt(_clock.Now) + steps);

    private Task<(string ChallengeId, JsonObject Options)> BeginAsync(WebAuthnReauthProof proof, string session = Session) =>
        _service.BeginWebAuthnRegistrationAsync(_caller, proof, TestAuthenticator.RpId, TestAuthenticator.Origin, session, Address, CancellationToken.None);

    private static WebAuthnReauthProof WithCode(string? password, string? otp) => new(password, otp, null, default);

    private List<string?> RefusalReasons() =>
        [.. _audit.Events.Where(e => e.Type == AuditEventTypes.MfaDeviceAdd && !e.Success).Select(e => e.Details?.GetValueOrDefault("reason"))];

    [Fact]
    public async Task WithoutAProof_TheRegistrationDoesNotStart_AndTheRefusalIsAudited()
    {
        foreach (var proof in new[] { WithCode(null, null), WithCode(Password, null), WithCode(null, Code()), WithCode("", "") })
        {
            var e = await Assert.ThrowsAsync<AuthException>(() => BeginAsync(proof));
            Assert.Equal(403, e.StatusCode);
            Assert.Contains("confirm who you are", e.Message, StringComparison.Ordinal);
        }

        Assert.Contains("reauth_required", RefusalReasons());
    }

    [Fact]
    public async Task AWrongPasswordOrCode_IsRefused_AndAnUsedCodeToo()
    {
        var wrongPassword = await Assert.ThrowsAsync<AuthException>(() => BeginAsync(WithCode("not " + Password, Code())));
        Assert.Equal(403, wrongPassword.StatusCode);
        var wrongCode = await Assert.ThrowsAsync<AuthException>(() => BeginAsync(WithCode(Password, Code() == "000000" ? "111111" : "000000")));
        Assert.Equal(403, wrongCode.StatusCode);
        Assert.Contains("confirming who you are failed", wrongCode.Message, StringComparison.Ordinal);

        // Right password and code: the registration starts; the same code a second time does not.
        var (id, options) = await BeginAsync(WithCode(Password, Code()));
        Assert.False(string.IsNullOrEmpty(id));
        Assert.NotNull(options["challenge"]);
        await Assert.ThrowsAsync<AuthException>(() => BeginAsync(WithCode(Password, Code())));
        Assert.Contains("reauth_failed", RefusalReasons());
    }

    [Fact]
    public async Task AnExistingKey_ConfirmsForTheNextRegistration_OnlyWithAChallengeOfTheSameSession()
    {
        using var first = new TestAuthenticator();
        var (id, options) = await BeginAsync(WithCode(Password, Code()));
        var clientData = TestAuthenticator.ClientData("webauthn.create", Challenge(options));
        Assert.Equal("first", await _service.FinishWebAuthnRegistrationAsync(_caller, id, "first", Json(new JsonObject
        {
            ["id"] = WebAuthnBase64Url.Encode(first.CredentialId),
            ["rawId"] = WebAuthnBase64Url.Encode(first.CredentialId),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = WebAuthnBase64Url.Encode(clientData),
                ["attestationObject"] = WebAuthnBase64Url.Encode(first.AttestationNone()),
            },
        }), Session, Address, CancellationToken.None));

        // A reauth challenge of this session answered by the first key starts the next registration.
        var (reauthId, reauthOptions) = await _service.BeginWebAuthnAssertionAsync("reauth", "bob", Session, TestAuthenticator.RpId, TestAuthenticator.Origin, Address, CancellationToken.None);
        first.Counter = 1;
        var assertion = Assertion(first, Challenge(reauthOptions));
        var (next, _) = await BeginAsync(new WebAuthnReauthProof(null, null, reauthId, assertion));
        Assert.False(string.IsNullOrEmpty(next));

        // Used once; and a challenge handed out for another web session, or for session MFA, does not count.
        await Assert.ThrowsAsync<AuthException>(() => BeginAsync(new WebAuthnReauthProof(null, null, reauthId, assertion)));
        var (otherSession, otherOptions) = await _service.BeginWebAuthnAssertionAsync("reauth", "bob", "web-session-2", TestAuthenticator.RpId, TestAuthenticator.Origin, Address, CancellationToken.None);
        first.Counter = 2;
        await Assert.ThrowsAsync<AuthException>(() => BeginAsync(new WebAuthnReauthProof(null, null, otherSession, Assertion(first, Challenge(otherOptions)))));
        var (sessionMfa, sessionMfaOptions) = await _service.BeginWebAuthnAssertionAsync("session", "bob", Session, TestAuthenticator.RpId, TestAuthenticator.Origin, Address, CancellationToken.None);
        first.Counter = 3;
        var refused = await Assert.ThrowsAsync<AuthException>(() => BeginAsync(new WebAuthnReauthProof(null, null, sessionMfa, Assertion(first, Challenge(sessionMfaOptions)))));
        Assert.Equal(403, refused.StatusCode);
        Assert.Contains("reauth_failed", RefusalReasons());
    }

    private static byte[] Challenge(JsonObject options) => WebAuthnBase64Url.TryDecode(options["challenge"]!.GetValue<string>(), 64)!;

    private static JsonElement Json(JsonObject o) => JsonDocument.Parse(o.ToJsonString()).RootElement.Clone();

    private static JsonElement Assertion(TestAuthenticator key, byte[] challenge)
    {
        var clientData = TestAuthenticator.ClientData("webauthn.get", challenge);
        var authData = key.AuthData(attested: false);
        return Json(new JsonObject
        {
            ["id"] = WebAuthnBase64Url.Encode(key.CredentialId),
            ["rawId"] = WebAuthnBase64Url.Encode(key.CredentialId),
            ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = WebAuthnBase64Url.Encode(clientData),
                ["authenticatorData"] = WebAuthnBase64Url.Encode(authData),
                ["signature"] = WebAuthnBase64Url.Encode(key.Sign(authData, clientData)),
            },
        });
    }
}
