using System.Net;
using System.Text.Json.Nodes;
using Ferry.Identity.Tests.WebAuthn;
using Ferry.Identity.WebAuthn;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Registering a security key through the web API needs a fresh re-authentication in the request that starts it:
/// the password and a current one-time code, or an assertion of a key the user already has. A software authenticator
/// (<see cref="TestAuthenticator"/>) answers the ceremonies as a browser would pass them on.
/// </summary>
public sealed partial class WebApiTests
{
    [Fact]
    public async Task RegisteringASecurityKey_NeedsPasswordAndCode_OrAnExistingKey_AndEachRefusalIsAudited()
    {
        var (browser, user) = await SignInAsync("webreauth" + Guid.NewGuid().ToString("N")[..6]);
        using var _b = browser;
        var origin = $"https://127.0.0.1:{Cluster.ProxyPort}";
        // The login used this 30 s step's code; each re-authentication below uses a later step (a code counts once).
        var now = DateTimeOffset.UtcNow;
        string Code(int stepsAhead) => Totp.Code(user.TotpSecret, now.AddSeconds(30 * stepsAhead));

        // Nothing but the web session: refused, nothing handed out.
        var bare = await JsonAsync(await browser.PostAsync("/web/api/webauthn/register/begin", new JsonObject()), HttpStatusCode.Forbidden);
        Assert.Contains("confirm who you are", bare["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(bare["challenge_id"]);

        // A wrong password with a right code: refused (and the code is not used up by it).
        var wrong = await JsonAsync(await browser.PostAsync("/web/api/webauthn/register/begin", new JsonObject { ["password"] = "not-" + user.Password, ["otp"] = Code(1) }), HttpStatusCode.Forbidden);
        Assert.Contains("confirming who you are failed", wrong["error"]!.GetValue<string>(), StringComparison.Ordinal);

        // Password + code: the registration starts, and the key is registered.
        using var first = new TestAuthenticator();
        var begin = await JsonAsync(await browser.PostAsync("/web/api/webauthn/register/begin", new JsonObject { ["password"] = user.Password, ["otp"] = Code(1) }));
        var challenge = WebAuthnBase64Url.TryDecode(begin["options"]!["challenge"]!.GetValue<string>(), 64)!;
        var clientData = TestAuthenticator.ClientData("webauthn.create", challenge, origin);
        var attestation = first.AttestationNone(first.AuthData(attested: true, rpId: "127.0.0.1"));
        var registered = await JsonAsync(await browser.PostAsync("/web/api/webauthn/register/finish", new JsonObject
        {
            ["challenge_id"] = begin["challenge_id"]!.GetValue<string>(),
            ["name"] = "first",
            ["credential"] = Credential(first.CredentialId, new JsonObject
            {
                ["clientDataJSON"] = WebAuthnBase64Url.Encode(clientData),
                ["attestationObject"] = WebAuthnBase64Url.Encode(attestation),
            }),
        }));
        Assert.Equal("first", registered["device"]!.GetValue<string>());

        // The same code again: refused (used), though the password is right.
        await JsonAsync(await browser.PostAsync("/web/api/webauthn/register/begin", new JsonObject { ["password"] = user.Password, ["otp"] = Code(1) }), HttpStatusCode.Forbidden);

        // An existing key confirms instead: a reauth challenge answered by the first key starts the next registration.
        var reauth = await JsonAsync(await browser.PostAsync("/web/api/webauthn/reauth/begin"));
        var reauthChallenge = WebAuthnBase64Url.TryDecode(reauth["options"]!["challenge"]!.GetValue<string>(), 64)!;
        Assert.Contains(WebAuthnBase64Url.Encode(first.CredentialId), reauth["options"]!["allowCredentials"]!.ToJsonString(), StringComparison.Ordinal);
        first.Counter = 1;
        var assertionData = TestAuthenticator.ClientData("webauthn.get", reauthChallenge, origin);
        var authData = first.AuthData(attested: false, rpId: "127.0.0.1");
        var assertion = Credential(first.CredentialId, new JsonObject
        {
            ["clientDataJSON"] = WebAuthnBase64Url.Encode(assertionData),
            ["authenticatorData"] = WebAuthnBase64Url.Encode(authData),
            ["signature"] = WebAuthnBase64Url.Encode(first.Sign(authData, assertionData)),
        });
        var second = await JsonAsync(await browser.PostAsync("/web/api/webauthn/register/begin", new JsonObject
        {
            ["reauth"] = new JsonObject { ["challenge_id"] = reauth["challenge_id"]!.GetValue<string>(), ["credential"] = assertion.DeepClone() },
        }));
        Assert.False(string.IsNullOrEmpty(second["challenge_id"]!.GetValue<string>()));

        // The same assertion once more: its challenge is used up.
        await JsonAsync(await browser.PostAsync("/web/api/webauthn/register/begin", new JsonObject
        {
            ["reauth"] = new JsonObject { ["challenge_id"] = reauth["challenge_id"]!.GetValue<string>(), ["credential"] = assertion.DeepClone() },
        }), HttpStatusCode.Forbidden);

        // Each refusal is in the audit, under the user, with its reason.
        using var auditor = await AuditorAsync();
        var refusals = await SearchAsync(auditor, $"user={user.User}&type=mfa.device.add");
        var reasons = refusals.Where(e => e["success"]?.GetValue<bool>() == false).Select(e => e["details"]?["reason"]?.GetValue<string>()).ToList();
        Assert.Contains("reauth_required", reasons);
        Assert.Contains("reauth_failed", reasons);
        Assert.Contains(refusals, e => e["success"]?.GetValue<bool>() == true && e["details"]?["device"]?.GetValue<string>() == "first");
    }

    private static JsonObject Credential(byte[] id, JsonObject response) => new()
    {
        ["id"] = WebAuthnBase64Url.Encode(id),
        ["rawId"] = WebAuthnBase64Url.Encode(id),
        ["type"] = "public-key",
        ["response"] = response,
    };
}
