using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Mfa;
using Ferry.Auth.Model;
using Ferry.Auth.Users;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Identity.WebAuthn;
using Ferry.Rbac;
using Ferry.Web;

namespace Ferry.Auth;

/// <summary>
/// Security keys and passkeys (WebAuthn) as MFA devices beside TOTP: registration for a signed-in user, the second
/// factor of a password login, and session MFA. Verified by <see cref="WebAuthnVerifier"/>; challenges are single-use,
/// expiring and bound (<see cref="WebAuthnChallenges"/>); failures are throttled per (user, source) like one-time
/// codes; registration, removal and refusals are audited, counted and logged.
/// </summary>
public sealed partial class AuthService
{
    private const string WebAuthnDevicesPrefix = "/mfa-webauthn/";
    private const string WebAuthnIdsPrefix = "/mfa-webauthn-ids/";

    private WebAuthnChallenges? _webAuthnChallenges;

    internal WebAuthnChallenges WebAuthnChallenges => LazyInitializer.EnsureInitialized(ref _webAuthnChallenges, () => new WebAuthnChallenges(_time));

    private static string WebAuthnDevicesOf(string user) => WebAuthnDevicesPrefix + user + "/";

    private static string WebAuthnIdKey(byte[] credentialId) => WebAuthnIdsPrefix + Convert.ToHexStringLower(SHA256.HashData(credentialId));

    /// <summary>The security keys of <paramref name="user"/>.</summary>
    internal async Task<List<WebAuthnDeviceRecord>> WebAuthnDevicesAsync(string user, CancellationToken ct) =>
        await Backend.RangeAsync(WebAuthnDevicesOf(user), WebAuthnStorageJsonContext.Default.WebAuthnDeviceRecord, ct).ConfigureAwait(false);

    /// <summary>
    /// Options for <c>navigator.credentials.create</c>: a new challenge for <paramref name="caller"/>, bound to
    /// <paramref name="binding"/> (the web session). Only after a fresh re-authentication in the same request
    /// (<see cref="RequireReauthenticationAsync"/>): the registration must then finish within the challenge's
    /// <see cref="WebAuthnChallenges.Lifetime"/>, so a key is never added on the strength of a session alone.
    /// </summary>
    internal async Task<(string ChallengeId, JsonObject Options)> BeginWebAuthnRegistrationAsync(UserIdentity caller, WebAuthnReauthProof proof, string rpId, string origin, string binding, string clientAddr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(proof);
        await RequireReauthenticationAsync(caller, proof, binding, clientAddr, ct).ConfigureAwait(false);
        var devices = await WebAuthnDevicesAsync(caller.User, ct).ConfigureAwait(false);
        if (devices.Count >= MaxMfaDevices)
        {
            throw DeviceRefused(caller.User, clientAddr, "", "too_many", 409, $"you have {MaxMfaDevices} security keys, the most allowed: remove one on the account page first");
        }

        var challenge = NewChallenge(WebAuthnChallenges.Purposes.Register, caller.User, binding, clientAddr, rpId, origin);
        var options = new JsonObject
        {
            ["challenge"] = WebAuthnBase64Url.Encode(challenge.Challenge),
            ["rp"] = new JsonObject { ["id"] = rpId, ["name"] = "Ferry " + ClusterName },
            ["user"] = new JsonObject
            {
                ["id"] = WebAuthnBase64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(ClusterName + "\u001f" + caller.User)).AsSpan(0, 16)),
                ["name"] = caller.User,
                ["displayName"] = caller.User,
            },
            ["pubKeyCredParams"] = new JsonArray(
                new JsonObject { ["type"] = "public-key", ["alg"] = CoseKey.Es256 },
                new JsonObject { ["type"] = "public-key", ["alg"] = CoseKey.Rs256 }),
            ["timeout"] = (long)WebAuthnChallenges.Lifetime.TotalMilliseconds,
            ["attestation"] = "none",
            ["authenticatorSelection"] = new JsonObject { ["userVerification"] = "preferred", ["residentKey"] = "discouraged" },
            ["excludeCredentials"] = Descriptors(devices),
        };
        return (challenge.Id, options);
    }

    /// <summary>
    /// Fresh re-authentication before a security key is registered: the account's password and a current one-time code
    /// (of the login's TOTP or a confirmed device; the code is used up), or an assertion by one of the user's security
    /// keys answering a <see cref="WebAuthnChallenges.Purposes.Reauth"/> challenge of this web session. Throttled per
    /// (user, source) like one-time codes; a refusal is a 403, audited (<c>mfa.device.add.failure</c> with reason
    /// <c>reauth_required</c> or <c>reauth_failed</c>), counted and logged. Returns how the user confirmed.
    /// </summary>
    private async Task<string> RequireReauthenticationAsync(UserIdentity caller, WebAuthnReauthProof proof, string binding, string clientAddr, CancellationToken ct)
    {
        var user = caller.User;
        var source = LoginThrottle.SourceOf(clientAddr);
        var byKey = !string.IsNullOrEmpty(proof.ChallengeId);
        var bySso = !byKey && !string.IsNullOrEmpty(proof.SsoTicket);
        if (!byKey && !bySso && (string.IsNullOrEmpty(proof.Password) || string.IsNullOrEmpty(proof.Otp)))
        {
            throw DeviceRefused(user, clientAddr, "", "reauth_required", 403,
                "registering a security key needs you to confirm who you are first: your password and a current one-time code, one of your security keys, or signing in again at your single sign-on provider");
        }

        if ((proof.Password?.Length ?? 0) > MaxPasswordLength || (proof.Otp?.Length ?? 0) > MaxOtpLength)
        {
            throw DeviceRefused(user, clientAddr, "", "reauth_invalid", 400, $"password (at most {MaxPasswordLength} characters) or one-time code (at most {MaxOtpLength}) is too long");
        }

        await RequireNotThrottledAsync(user, source, clientAddr, "", ct).ConfigureAwait(false);
        string? method;
        string reason;
        if (bySso)
        {
            // Minted by TakeSsoReauthenticationAsync for this user and web session after a fresh sign-in at the provider.
            var ticket = WebAuthnChallenges.Take(proof.SsoTicket, WebAuthnChallenges.Purposes.SsoReauth, user, binding);
            (method, reason) = (ticket is null ? null : "sso", "the single sign-on confirmation is unknown, used or expired (it is good for 2 minutes)");
        }
        else if (byKey)
        {
            var challenge = WebAuthnChallenges.Take(proof.ChallengeId, WebAuthnChallenges.Purposes.Reauth, user, binding);
            var (device, why) = challenge is null ? (null, "security key challenge unknown, used or expired") : await VerifyAssertionAsync(user, challenge, proof.Credential, ct).ConfigureAwait(false);
            (method, reason) = (device is null ? null : "webauthn:" + device, why);
        }
        else
        {
            var record = await Backend.GetAsync(BackendKeys.User(user), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
            var passwordOk = PasswordHasher.Verify(proof.Password!, record is { PasswordHash.Length: > 0 } ? record.PasswordHash : PasswordHasher.DummyHash) && record is { PasswordHash.Length: > 0 };
            var otpDevice = passwordOk ? await VerifyUserOtpAsync(user, record, proof.Otp!, ct).ConfigureAwait(false) : null;
            (method, reason) = (otpDevice is null ? null : "password+totp:" + otpDevice, "the password or the one-time code is wrong, or the code was already used");
        }

        if (method is null)
        {
            await _throttle.RecordFailureAsync(user, source, ct).ConfigureAwait(false);
            AuthLog.SecurityKeyRefused(_log, "re-authentication", Bounded(user), Bounded(clientAddr), "reauth_failed", reason);
            throw DeviceRefused(user, clientAddr, "", "reauth_failed", 403, "confirming who you are failed: " + reason + "; try again");
        }

        await _throttle.RecordSuccessAsync(user, source, ct).ConfigureAwait(false);
        AuthLog.Reauthenticated(_log, user, method, Bounded(clientAddr));
        return method;
    }

    /// <summary>Verifies a registration and stores the security key as device <paramref name="name"/>.</summary>
    internal async Task<string> FinishWebAuthnRegistrationAsync(UserIdentity caller, string? challengeId, string? name, JsonElement credential, string binding, string clientAddr, CancellationToken ct)
    {
        var user = caller.User;
        var deviceName = RequireDeviceName(name);
        var challenge = WebAuthnChallenges.Take(challengeId, WebAuthnChallenges.Purposes.Register, user, binding)
            ?? throw DeviceRefused(user, clientAddr, deviceName, "webauthn_challenge", 400, "this security key registration expired or was already used (it must finish within 2 minutes): start it again");
        WebAuthnCredential verified;
        try
        {
            var response = Field(credential, "response");
            verified = WebAuthnVerifier.VerifyRegistration(
                Binary(response, "clientDataJSON", WebAuthnVerifier.MaxClientDataBytes),
                Binary(response, "attestationObject", WebAuthnVerifier.MaxAttestationObjectBytes),
                new WebAuthnExpectations(challenge.RpId, challenge.Origin, challenge.Challenge, RequireUserVerification: false));
        }
        catch (WebAuthnException e)
        {
            AuthLog.SecurityKeyRefused(_log, "registration", Bounded(user), Bounded(clientAddr), e.Reason, e.Message);
            throw DeviceRefused(user, clientAddr, deviceName, "webauthn_" + e.Reason, 400, "the security key's registration was refused: " + e.Message);
        }

        var devices = await WebAuthnDevicesAsync(user, ct).ConfigureAwait(false);
        if (devices.Any(d => d.Name == deviceName))
        {
            throw DeviceRefused(user, clientAddr, deviceName, "name_taken", 409, $"you already have a security key \"{deviceName}\": pick another name, or remove it first");
        }

        if (devices.Count >= MaxMfaDevices)
        {
            throw DeviceRefused(user, clientAddr, deviceName, "too_many", 409, $"you have {MaxMfaDevices} security keys, the most allowed: remove one first");
        }

        // The credential id belongs to one device of one user: the index is created first, and only once.
        var index = new WebAuthnCredentialIndex { User = user, Name = deviceName };
        if (await Backend.CompareAndSwapAsync(WebAuthnIdKey(verified.CredentialId), 0, index, WebAuthnStorageJsonContext.Default.WebAuthnCredentialIndex, cancellationToken: ct).ConfigureAwait(false) is null)
        {
            throw DeviceRefused(user, clientAddr, deviceName, "webauthn_duplicate", 409, "this security key is already registered (for you or another user): each key is registered once");
        }

        var record = new WebAuthnDeviceRecord
        {
            Name = deviceName,
            CredentialId = WebAuthnBase64Url.Encode(verified.CredentialId),
            PublicKey = WebAuthnBase64Url.Encode(verified.PublicKey),
            Algorithm = verified.Algorithm,
            SignCount = verified.SignCount,
            Added = Now,
        };
        if (await Backend.CompareAndSwapAsync(WebAuthnDevicesOf(user) + deviceName, 0, record, WebAuthnStorageJsonContext.Default.WebAuthnDeviceRecord, cancellationToken: ct).ConfigureAwait(false) is null)
        {
            await Backend.DeleteAsync(WebAuthnIdKey(verified.CredentialId), ct).ConfigureAwait(false);
            throw DeviceRefused(user, clientAddr, deviceName, "name_taken", 409, $"you already have a security key \"{deviceName}\": pick another name");
        }

        AuthLog.SecurityKeyAdded(_log, user, deviceName, verified.Algorithm == CoseKey.Es256 ? "ES256" : "RS256", Bounded(clientAddr));
        Emit(AuditEventKinds.MfaDeviceAdd, user, true, null, clientAddr, new() { ["device"] = deviceName, ["kind"] = "webauthn", ["format"] = verified.Format }, caller.Roles);
        return deviceName;
    }

    /// <summary>Options for <c>navigator.credentials.get</c> for <paramref name="user"/>'s keys (a password login's second factor, or session MFA).</summary>
    internal async Task<(string ChallengeId, JsonObject Options)> BeginWebAuthnAssertionAsync(string purpose, string user, string binding, string rpId, string origin, string clientAddr, CancellationToken ct)
    {
        if (user.Length == 0 || !IsValidName(user))
        {
            throw AuthException.BadRequest($"user name is not valid: 1-{MaxNameLength} letters, digits, _ - . @");
        }

        var devices = await WebAuthnDevicesAsync(user, ct).ConfigureAwait(false);
        var challenge = NewChallenge(purpose, user, binding, clientAddr, rpId, origin);
        var options = new JsonObject
        {
            ["challenge"] = WebAuthnBase64Url.Encode(challenge.Challenge),
            ["rpId"] = rpId,
            ["timeout"] = (long)WebAuthnChallenges.Lifetime.TotalMilliseconds,
            ["userVerification"] = "preferred",
            ["allowCredentials"] = Descriptors(devices),
        };
        return (challenge.Id, options);
    }

    /// <summary>Password + security key: <see cref="LoginAsync"/> with an assertion instead of the one-time code (same throttle, audit and certificate).</summary>
    internal async Task<UserCertificateResponse> LoginWithSecurityKeyAsync(string user, string? password, string? challengeId, JsonElement credential, string binding,
        string publicKeyPem, long ttlSeconds, string clientAddr, CancellationToken ct)
    {
        var problem = user.Length == 0 ? "user is missing"
            : !IsValidName(user) ? $"user name is not valid: 1-{MaxNameLength} letters, digits, _ - . @"
            : (password?.Length ?? 0) > MaxPasswordLength ? $"password is longer than {MaxPasswordLength} characters"
            : null;
        if (problem is not null)
        {
            RecordLoginRefusal(user, clientAddr, LoginRefusal.InvalidRequest, problem);
            throw AuthException.BadRequest(problem);
        }

        var source = LoginThrottle.SourceOf(clientAddr);
        if (await _throttle.RetryAfterAsync(user, source, ct).ConfigureAwait(false) is { } wait)
        {
            RecordLoginRefusal(user, clientAddr, LoginRefusal.Throttled, "throttled");
            throw new AuthException(429, string.Create(CultureInfo.InvariantCulture, $"too many failed logins: try again in {(int)Math.Ceiling(wait.TotalSeconds)}s"), wait);
        }

        var key = ParsePublicKey(publicKeyPem);
        var record = await Backend.GetAsync(BackendKeys.User(user), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
        var passwordOk = PasswordHasher.Verify(password ?? "", record?.PasswordHash ?? PasswordHasher.DummyHash);
        var challenge = WebAuthnChallenges.Take(challengeId, WebAuthnChallenges.Purposes.Login, user, binding);
        string? device = null;
        string reason = "invalid credentials";
        if (record is not null && passwordOk && challenge is not null)
        {
            (device, reason) = await VerifyAssertionAsync(user, challenge, credential, ct).ConfigureAwait(false);
        }
        else if (challenge is null)
        {
            reason = "security key challenge unknown, used or expired";
        }

        if (device is null)
        {
            await _throttle.RecordFailureAsync(user, source, ct).ConfigureAwait(false);
            AuthLog.SecurityKeyRefused(_log, "login", Bounded(user), Bounded(clientAddr), "login_failed", reason);
            RecordLoginRefusal(user, clientAddr, LoginRefusal.InvalidCredentials, reason.StartsWith("security key", StringComparison.Ordinal) ? reason : "invalid credentials");
            throw new AuthException(401, challenge is null
                ? "the security key sign-in expired or was already used (it must finish within 2 minutes): try again"
                : LoginFailedMessage);
        }

        await _throttle.RecordSuccessAsync(user, source, ct).ConfigureAwait(false);
        var roles = await ResolveRolesAsync(record!.Roles, ct).ConfigureAwait(false);
        var traits = Traits(record);
        await RequireNotLockedAsync(user, record.Roles, clientAddr, ct).ConfigureAwait(false);
        var rbac = new RbacEvaluator(roles, traits);
        var requested = ttlSeconds > 0
            ? TimeSpan.FromSeconds(Math.Min(ttlSeconds, MaxRequestedTtlSeconds))
            : _options.DefaultSessionTtl is { } d && d < rbac.MaxSessionTtl ? d : rbac.MaxSessionTtl;
        var identity = new UserIdentity { User = user, ClusterName = ClusterName, Roles = record.Roles, Traits = traits, MfaVerified = false };
        var response = IssueUser(key, identity, requested, rbac.MaxSessionTtl);
        Emit(AuditEventKinds.UserLoginSuccess, user, true, null, clientAddr,
            new() { ["method"] = "web", ["mfa"] = "webauthn", ["device"] = device, ["expires"] = response.Expires.ToString("O", CultureInfo.InvariantCulture) }, record.Roles);
        return response;
    }

    /// <summary>
    /// Session MFA with a security key: verifies the assertion (throttled per (user, source) like one-time codes) and
    /// answers the device name for <see cref="ReissueUserCertificateAsync"/>.
    /// </summary>
    internal async Task<string> VerifySessionSecurityKeyAsync(UserIdentity caller, string service, string? challengeId, JsonElement credential, string binding, string clientAddr, CancellationToken ct)
    {
        var user = caller.User;
        var source = LoginThrottle.SourceOf(clientAddr);
        if (await _throttle.RetryAfterAsync(user, source, ct).ConfigureAwait(false) is { } wait)
        {
            RecordSessionMfaRefusal(user, clientAddr, service, SessionMfaRefusal.Throttled, "throttled", aggregated: true);
            throw new AuthException(429, string.Create(CultureInfo.InvariantCulture, $"too many failed MFA checks: try again in {(int)Math.Ceiling(wait.TotalSeconds)}s"), wait);
        }

        var challenge = WebAuthnChallenges.Take(challengeId, WebAuthnChallenges.Purposes.Session, user, binding);
        var (device, reason) = challenge is null ? (null, "security key challenge unknown, used or expired") : await VerifyAssertionAsync(user, challenge, credential, ct).ConfigureAwait(false);
        if (device is null)
        {
            await _throttle.RecordFailureAsync(user, source, ct).ConfigureAwait(false);
            AuthLog.SecurityKeyRefused(_log, "session MFA", Bounded(user), Bounded(clientAddr), SessionMfaRefusal.Failed, reason);
            RecordSessionMfaRefusal(user, clientAddr, service, SessionMfaRefusal.Failed, reason, aggregated: true);
            throw new AuthException(401, $"session MFA for {service} failed: {reason}; try again with your security key");
        }

        await _throttle.RecordSuccessAsync(user, source, ct).ConfigureAwait(false);
        return device;
    }

    /// <summary>Verifies an assertion against the user's key it names and stores the new counter (compare-and-swap, so a counter is used once); (device, "") or (null, reason).</summary>
    private async Task<(string? Device, string Reason)> VerifyAssertionAsync(string user, WebAuthnChallenge challenge, JsonElement credential, CancellationToken ct)
    {
        try
        {
            var rawId = WebAuthnBase64Url.TryDecode(Text(credential, "rawId") ?? Text(credential, "id"), AuthenticatorData.MaxCredentialIdLength)
                ?? throw new WebAuthnException("malformed", "the credential has no id");
            var response = Field(credential, "response");
            var key = WebAuthnBase64Url.Encode(rawId);
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var devices = await WebAuthnDevicesAsync(user, ct).ConfigureAwait(false);
                var device = devices.FirstOrDefault(d => d.CredentialId == key);
                if (device is null)
                {
                    return (null, "this security key is not registered for this user");
                }

                var current = await Backend.GetWithRevisionAsync(WebAuthnDevicesOf(user) + device.Name, WebAuthnStorageJsonContext.Default.WebAuthnDeviceRecord, ct).ConfigureAwait(false);
                if (current is not { } found)
                {
                    continue;
                }

                uint count;
                try
                {
                    count = WebAuthnVerifier.VerifyAssertion(
                        Binary(response, "clientDataJSON", WebAuthnVerifier.MaxClientDataBytes),
                        Binary(response, "authenticatorData", WebAuthnVerifier.MaxAuthenticatorDataBytes),
                        Binary(response, "signature", WebAuthnVerifier.MaxSignatureBytes),
                        WebAuthnBase64Url.TryDecode(found.Value.PublicKey, 4096) ?? [],
                        found.Value.SignCount,
                        new WebAuthnExpectations(challenge.RpId, challenge.Origin, challenge.Challenge, RequireUserVerification: false));
                }
                catch (WebAuthnException e) when (e.Reason == "counter")
                {
                    AuthLog.SecurityKeyCloned(_log, user, device.Name, e.Message);
                    FerryMetrics.Refused(FerryMetrics.Sides.Auth, "webauthn_counter");
                    Emit(AuditEventKinds.UserLoginFailure, user, false, e.Message, "", new() { ["method"] = "webauthn", ["device"] = device.Name, ["reason"] = "counter" });
                    return (null, e.Message);
                }

                found.Value.SignCount = count;
                found.Value.LastUsed = Now;
                if (await Backend.CompareAndSwapAsync(WebAuthnDevicesOf(user) + device.Name, found.Revision, found.Value, WebAuthnStorageJsonContext.Default.WebAuthnDeviceRecord, cancellationToken: ct).ConfigureAwait(false) is not null)
                {
                    return (device.Name, "");
                }

                if (count == 0)
                {
                    continue; // a key without a counter: a concurrent update of last_used only
                }

                return (null, "this security key answered twice with the same counter");
            }

            return (null, "the security key's record changed meanwhile: try again");
        }
        catch (WebAuthnException e)
        {
            FerryMetrics.Refused(FerryMetrics.Sides.Auth, "webauthn_" + e.Reason);
            return (null, "the security key's answer was refused: " + e.Message);
        }
    }

    /// <summary>Removes security key <paramref name="name"/> of <paramref name="caller"/>; false when there is none.</summary>
    internal async Task<bool> RemoveWebAuthnDeviceAsync(UserIdentity caller, string name, string clientAddr, CancellationToken ct)
    {
        var record = await Backend.GetAsync(WebAuthnDevicesOf(caller.User) + name, WebAuthnStorageJsonContext.Default.WebAuthnDeviceRecord, ct).ConfigureAwait(false);
        if (record is null || !await Backend.DeleteAsync(WebAuthnDevicesOf(caller.User) + name, ct).ConfigureAwait(false))
        {
            return false;
        }

        if (WebAuthnBase64Url.TryDecode(record.CredentialId, AuthenticatorData.MaxCredentialIdLength) is { } id)
        {
            await Backend.DeleteAsync(WebAuthnIdKey(id), ct).ConfigureAwait(false);
        }

        AuthLog.SecurityKeyRemoved(_log, caller.User, name);
        Emit(AuditEventKinds.MfaDeviceDelete, caller.User, true, null, clientAddr, new() { ["device"] = name, ["kind"] = "webauthn" }, caller.Roles);
        return true;
    }

    private WebAuthnChallenge NewChallenge(string purpose, string user, string binding, string clientAddr, string rpId, string origin) =>
        WebAuthnChallenges.Add(purpose, user, binding, LoginThrottle.SourceOf(clientAddr), rpId, origin)
        ?? throw new AuthException(429, "too many security key ceremonies are open for this user from your address: finish or wait 2 minutes", WebAuthnChallenges.Lifetime);

    private static JsonArray Descriptors(List<WebAuthnDeviceRecord> devices)
    {
        var list = new JsonArray();
        foreach (var d in devices)
        {
            list.Add((JsonNode)new JsonObject { ["type"] = "public-key", ["id"] = d.CredentialId });
        }

        return list;
    }

    private static JsonElement Field(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object
            ? v
            : throw new WebAuthnException("malformed", $"the credential has no {name}");

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static byte[] Binary(JsonElement element, string name, int maxBytes) =>
        WebAuthnBase64Url.TryDecode(Text(element, name), maxBytes)
        ?? throw new WebAuthnException("malformed", $"the credential's {name} is missing, not base64url or longer than {maxBytes} bytes");
}
