using System.Text.Json.Serialization;

namespace Ferry.Auth.Mfa;

/// <summary>
/// A security key (WebAuthn credential) of a user, beside the TOTP devices: <c>/mfa-webauthn/USER/NAME</c>, and its
/// credential id's index <c>/mfa-webauthn-ids/SHA256(ID)</c> so one credential belongs to one device of one user.
/// </summary>
internal sealed class WebAuthnDeviceRecord
{
    public string Name { get; set; } = "";

    /// <summary>Credential id, base64url.</summary>
    public string CredentialId { get; set; } = "";

    /// <summary>COSE public key, base64url.</summary>
    public string PublicKey { get; set; } = "";

    public long Algorithm { get; set; }

    public uint SignCount { get; set; }

    public DateTimeOffset Added { get; set; }

    public DateTimeOffset? LastUsed { get; set; }
}

/// <summary>The owner of a credential id.</summary>
internal sealed class WebAuthnCredentialIndex
{
    public string User { get; set; } = "";

    public string Name { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebAuthnDeviceRecord))]
[JsonSerializable(typeof(WebAuthnCredentialIndex))]
internal sealed partial class WebAuthnStorageJsonContext : JsonSerializerContext;
