using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Web;

public partial interface IWebAuthority
{
    /// <summary>
    /// Starts registering a security key for a signed-in user after a fresh re-authentication (<paramref name="proof"/>:
    /// password + one-time code, or an assertion of an existing key); the challenge is bound to <paramref name="binding"/> (the web session).
    /// </summary>
    Task<WebAuthnBegin> BeginSecurityKeyRegistrationAsync(UserIdentity user, WebAuthnReauthProof proof, string rpId, string origin, string binding, string clientAddr, CancellationToken ct);

    /// <summary>Verifies the browser's attestation and stores the key as MFA device <paramref name="name"/> (kind <c>webauthn</c>).</summary>
    Task<string> FinishSecurityKeyRegistrationAsync(UserIdentity user, string? challengeId, string? name, JsonElement credential, string binding, string clientAddr, CancellationToken ct);

    /// <summary>Starts an assertion by one of <paramref name="user"/>'s keys, for <paramref name="purpose"/> <c>login</c> or <c>session</c>.</summary>
    Task<WebAuthnBegin> BeginSecurityKeyAssertionAsync(string purpose, string user, string binding, string rpId, string origin, string clientAddr, CancellationToken ct);

    /// <summary>Password + security key login for a key made for one web session (as <see cref="LoginAsync"/>, with the assertion as the second factor).</summary>
    Task<UserCertificateResponse> LoginWithSecurityKeyAsync(string user, string? password, string? challengeId, JsonElement credential, string binding, string publicKeyPem, long ttlSeconds, string clientAddr, CancellationToken ct);

    /// <summary>As <see cref="IssueRoutedAsync"/>, with session MFA passed by a security key's assertion instead of a one-time code.</summary>
    Task<UserCertificateResponse> IssueRoutedWithSecurityKeyAsync(UserIdentity presented, UserCertificateRequest request, string? challengeId, JsonElement credential, string binding, string clientAddr, CancellationToken ct);

    /// <summary>The user's MFA devices: TOTP (login and added) and security keys.</summary>
    Task<IReadOnlyList<WebMfaDeviceView>> ListMfaDevicesAsync(UserIdentity user, CancellationToken ct);

    /// <summary>Removes the user's security key <paramref name="name"/>; false when there is none.</summary>
    Task<bool> RemoveSecurityKeyAsync(UserIdentity user, string name, string clientAddr, CancellationToken ct);
}

/// <summary>A started WebAuthn ceremony: its challenge id and the options for the browser (WebAuthn's JSON, binary as base64url).</summary>
public sealed record WebAuthnBegin(string ChallengeId, JsonObject Options);

/// <summary>
/// How a signed-in user confirms who they are again before registering a security key: <see cref="Password"/> and
/// <see cref="Otp"/>, or a <c>reauth</c> challenge (<see cref="ChallengeId"/>) answered by one of their keys (<see cref="Credential"/>).
/// </summary>
public sealed record WebAuthnReauthProof(string? Password, string? Otp, string? ChallengeId, JsonElement Credential, string? SsoTicket = null);

/// <summary>One MFA device of the account page.</summary>
public sealed record WebMfaDeviceView(string Name, string Kind, DateTimeOffset Added);
