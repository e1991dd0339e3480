using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.Identity.WebAuthn;

/// <summary>What a ceremony must show: the relying party id, the page's origin, the challenge handed out, and whether the role asks for user verification.</summary>
public sealed record WebAuthnExpectations(string RpId, string Origin, byte[] Challenge, bool RequireUserVerification);

/// <summary>A verified registration: what to store.</summary>
public sealed record WebAuthnCredential(byte[] CredentialId, byte[] PublicKey, long Algorithm, uint SignCount, string Format);

/// <summary>
/// Verifies WebAuthn registrations (attestation <c>none</c>, and <c>packed</c> self-attestation) and assertions (W3C
/// WebAuthn §7.1, §7.2) with System.Security.Cryptography: client data type, challenge and origin; the RP ID hash;
/// user presence (and verification when asked); the signature; a sign counter that must grow (a counter that does not
/// is a cloned authenticator). Every input is bounded. Refusals are <see cref="WebAuthnException"/> with a stable reason.
/// </summary>
public static class WebAuthnVerifier
{
    public const int MaxClientDataBytes = 4096;
    public const int MaxAttestationObjectBytes = 16 * 1024;
    public const int MaxAuthenticatorDataBytes = 4096;
    public const int MaxSignatureBytes = 1024;

    public static WebAuthnCredential VerifyRegistration(ReadOnlySpan<byte> clientDataJson, ReadOnlySpan<byte> attestationObject, WebAuthnExpectations expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (attestationObject.Length > MaxAttestationObjectBytes)
        {
            throw new WebAuthnException("malformed", $"attestation object larger than {MaxAttestationObjectBytes} bytes");
        }

        CheckClientData(clientDataJson, "webauthn.create", expected);
        var attestation = CborReader.ReadSingle(attestationObject);
        if (attestation.Kind != CborKind.Map || attestation["fmt"] is not { Kind: CborKind.Text } fmt
            || attestation["authData"] is not { Kind: CborKind.Bytes } rawAuthData || attestation["attStmt"] is not { Kind: CborKind.Map } statement)
        {
            throw new WebAuthnException("malformed", "the attestation object needs fmt, attStmt and authData");
        }

        var authData = AuthenticatorData.Parse(rawAuthData.Bytes);
        CheckAuthenticatorData(authData, expected);
        if (authData.CredentialId is null || authData.CredentialPublicKey is null)
        {
            throw new WebAuthnException("malformed", "the registration carries no attested credential");
        }

        var key = CoseKey.Parse(authData.CredentialPublicKey);
        switch (fmt.Text)
        {
            case "none":
                if (statement.Entries.Count != 0)
                {
                    throw new WebAuthnException("attestation", "attestation \"none\" must have an empty statement");
                }

                break;
            case "packed":
                // Self-attestation (no x5c): signed by the credential key itself. A certificate chain is not trusted
                // here (no attestation roots are configured), so a packed statement with x5c is refused.
                if (statement["x5c"] is not null)
                {
                    throw new WebAuthnException("attestation", "packed attestation with a certificate chain is not accepted: register with attestation \"none\"");
                }

                if (statement["alg"] is not { Kind: CborKind.Integer } alg || alg.Integer != key.Algorithm || statement["sig"] is not { Kind: CborKind.Bytes, Bytes.Length: > 0 and <= MaxSignatureBytes } sig
                    || !key.Verify(Signed(rawAuthData.Bytes, clientDataJson), sig.Bytes))
                {
                    throw new WebAuthnException("signature", "the packed self-attestation signature does not verify");
                }

                break;
            default:
                throw new WebAuthnException("attestation", $"attestation format \"{Bounded(fmt.Text)}\" is not supported: register with attestation \"none\"");
        }

        return new WebAuthnCredential(authData.CredentialId, authData.CredentialPublicKey, key.Algorithm, authData.SignCount, fmt.Text);
    }

    /// <summary>Verifies an assertion by the stored credential; answers the new sign counter to store.</summary>
    public static uint VerifyAssertion(ReadOnlySpan<byte> clientDataJson, ReadOnlySpan<byte> authenticatorData, ReadOnlySpan<byte> signature,
        ReadOnlySpan<byte> storedPublicKey, uint storedSignCount, WebAuthnExpectations expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (authenticatorData.Length > MaxAuthenticatorDataBytes || signature.Length is 0 or > MaxSignatureBytes)
        {
            throw new WebAuthnException("malformed", "authenticator data or signature of a length no authenticator sends");
        }

        CheckClientData(clientDataJson, "webauthn.get", expected);
        var authData = AuthenticatorData.Parse(authenticatorData);
        CheckAuthenticatorData(authData, expected);
        var key = CoseKey.Parse(storedPublicKey);
        if (!key.Verify(Signed(authenticatorData, clientDataJson), signature))
        {
            throw new WebAuthnException("signature", "the security key's signature does not verify");
        }

        if ((authData.SignCount != 0 || storedSignCount != 0) && authData.SignCount <= storedSignCount)
        {
            throw new WebAuthnException("counter", $"the security key's signature counter went from {storedSignCount} to {authData.SignCount}: the key may have been cloned");
        }

        return authData.SignCount;
    }

    private static byte[] Signed(ReadOnlySpan<byte> authData, ReadOnlySpan<byte> clientDataJson)
    {
        var signed = new byte[authData.Length + 32];
        authData.CopyTo(signed);
        SHA256.HashData(clientDataJson, signed.AsSpan(authData.Length));
        return signed;
    }

    private static void CheckClientData(ReadOnlySpan<byte> clientDataJson, string type, WebAuthnExpectations expected)
    {
        if (clientDataJson.Length is 0 or > MaxClientDataBytes)
        {
            throw new WebAuthnException("malformed", $"client data of {clientDataJson.Length} bytes (1–{MaxClientDataBytes})");
        }

        if (!System.Text.Unicode.Utf8.IsValid(clientDataJson))
        {
            // JSON strings must be UTF-8; reading one that is not would throw outside the JSON reader's own errors.
            throw new WebAuthnException("malformed", "client data is not UTF-8");
        }

        string? actualType, challenge, origin;
        bool crossOrigin;
        try
        {
            var reader = new Utf8JsonReader(clientDataJson, new JsonReaderOptions { MaxDepth = 4 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new WebAuthnException("malformed", "client data is not a JSON object");
            }

            actualType = Text(root, "type");
            challenge = Text(root, "challenge");
            origin = Text(root, "origin");
            crossOrigin = root.TryGetProperty("crossOrigin", out var co) && co.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            throw new WebAuthnException("malformed", "client data is not JSON");
        }

        if (actualType != type)
        {
            throw new WebAuthnException("type", $"client data type is \"{Bounded(actualType ?? "")}\", expected \"{type}\"");
        }

        var received = WebAuthnBase64Url.TryDecode(challenge, 256);
        if (received is null || !CryptographicOperations.FixedTimeEquals(received, expected.Challenge))
        {
            throw new WebAuthnException("challenge", "the response is not for the challenge this server handed out");
        }

        if (!string.Equals(origin, expected.Origin, StringComparison.Ordinal) || crossOrigin)
        {
            throw new WebAuthnException("origin", $"the response comes from origin \"{Bounded(origin ?? "")}\", expected \"{expected.Origin}\"");
        }
    }

    private static void CheckAuthenticatorData(AuthenticatorData data, WebAuthnExpectations expected)
    {
        if (!CryptographicOperations.FixedTimeEquals(data.RpIdHash, SHA256.HashData(Encoding.UTF8.GetBytes(expected.RpId))))
        {
            throw new WebAuthnException("rp_id", $"the security key answered for another relying party than \"{expected.RpId}\"");
        }

        if (!data.IsUserPresent)
        {
            throw new WebAuthnException("user_presence", "the security key did not show user presence: touch it when it blinks");
        }

        if (expected.RequireUserVerification && !data.IsUserVerified)
        {
            throw new WebAuthnException("user_verification", "your role requires user verification (PIN or biometric) on the security key");
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Bounded(string value) => value.Length <= 100 ? value : value[..100];
}
