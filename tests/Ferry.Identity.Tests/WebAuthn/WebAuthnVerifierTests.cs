using System.Security.Cryptography;
using Ferry.Identity.WebAuthn;

namespace Ferry.Identity.Tests.WebAuthn;

public sealed class WebAuthnVerifierTests
{
    private static WebAuthnExpectations Expect(byte[] challenge, bool uv = false, string origin = TestAuthenticator.Origin, string rpId = TestAuthenticator.RpId) =>
        new(rpId, origin, challenge, uv);

    private static (TestAuthenticator Key, WebAuthnCredential Stored) Registered()
    {
        var key = new TestAuthenticator();
        var challenge = RandomNumberGenerator.GetBytes(32);
        var stored = WebAuthnVerifier.VerifyRegistration(TestAuthenticator.ClientData("webauthn.create", challenge), key.AttestationNone(), Expect(challenge));
        return (key, stored);
    }

    private static uint Assert_(TestAuthenticator key, WebAuthnCredential stored, uint storedCount, byte[] challenge, WebAuthnExpectations expected,
        string type = "webauthn.get", string origin = TestAuthenticator.Origin, byte[]? authData = null, bool corrupt = false)
    {
        var clientData = TestAuthenticator.ClientData(type, challenge, origin);
        authData ??= key.AuthData(attested: false);
        var sig = key.Sign(authData, clientData);
        if (corrupt)
        {
            sig[^1] ^= 1;
        }

        return WebAuthnVerifier.VerifyAssertion(clientData, authData, sig, stored.PublicKey, storedCount, expected);
    }

    [Fact]
    public void Registration_WithAttestationNone_YieldsTheCredentialIdAndItsCoseKey()
    {
        var (key, stored) = Registered();
        using var _ = key;
        Assert.Equal(key.CredentialId, stored.CredentialId);
        Assert.Equal(key.CoseKey, stored.PublicKey);
        Assert.Equal(CoseKey.Es256, stored.Algorithm);
        Assert.Equal("none", stored.Format);
    }

    [Fact]
    public void Registration_WithPackedSelfAttestation_IsAccepted_AndABadSelfSignatureIsRefused()
    {
        using var key = new TestAuthenticator();
        var challenge = RandomNumberGenerator.GetBytes(32);
        var clientData = TestAuthenticator.ClientData("webauthn.create", challenge);
        Assert.Equal("packed", WebAuthnVerifier.VerifyRegistration(clientData, key.AttestationPackedSelf(clientData), Expect(challenge)).Format);
        var e = Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(clientData, key.AttestationPackedSelf(clientData, corrupt: true), Expect(challenge)));
        Assert.Equal("signature", e.Reason);
    }

    [Fact]
    public void Registration_ForAnotherChallenge_OriginOrType_IsRefused()
    {
        using var key = new TestAuthenticator();
        var challenge = RandomNumberGenerator.GetBytes(32);
        Assert.Equal("challenge", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(
            TestAuthenticator.ClientData("webauthn.create", RandomNumberGenerator.GetBytes(32)), key.AttestationNone(), Expect(challenge))).Reason);
        Assert.Equal("origin", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(
            TestAuthenticator.ClientData("webauthn.create", challenge, "https://evil.example"), key.AttestationNone(), Expect(challenge))).Reason);
        Assert.Equal("type", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(
            TestAuthenticator.ClientData("webauthn.get", challenge), key.AttestationNone(), Expect(challenge))).Reason);
    }

    [Fact]
    public void ClientData_ThatIsNotUtf8_IsRefusedAsMalformed_AtRegistrationAndSignIn()
    {
        // Found by the webauthn fuzz target: a JSON string holding 0xFF used to escape as InvalidOperationException.
        var (key, stored) = Registered();
        var challenge = RandomNumberGenerator.GetBytes(32);
        var create = TestAuthenticator.ClientData("webauthn.create", challenge);
        var bad = create.ToArray();
        bad[Array.IndexOf(bad, (byte)'w')] = 0xFF; // inside "webauthn.create"
        Assert.Equal("malformed", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(bad, key.AttestationNone(), Expect(challenge))).Reason);
        var get = TestAuthenticator.ClientData("webauthn.get", challenge);
        get[Array.IndexOf(get, (byte)'w')] = 0xC3; // a truncated two-byte sequence
        var authData = key.AuthData(attested: false);
        Assert.Equal("malformed", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyAssertion(
            get, authData, key.Sign(authData, get), stored.PublicKey, stored.SignCount, Expect(challenge))).Reason);
    }

    [Fact]
    public void Registration_ForAnotherRelyingParty_OrWithoutUserPresence_IsRefused()
    {
        using var key = new TestAuthenticator();
        var challenge = RandomNumberGenerator.GetBytes(32);
        var clientData = TestAuthenticator.ClientData("webauthn.create", challenge);
        Assert.Equal("rp_id", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(
            clientData, key.AttestationNone(key.AuthData(attested: true, rpId: "evil.example")), Expect(challenge))).Reason);
        Assert.Equal("user_presence", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(
            clientData, key.AttestationNone(key.AuthData(attested: true, flags: 0)), Expect(challenge))).Reason);
        Assert.Equal("user_verification", Assert.Throws<WebAuthnException>(() => WebAuthnVerifier.VerifyRegistration(
            clientData, key.AttestationNone(key.AuthData(attested: true, flags: AuthenticatorData.UserPresent)), Expect(challenge, uv: true))).Reason);
    }

    [Fact]
    public void Assertion_ByTheRegisteredKey_Verifies_AndAnswersTheNewCounter()
    {
        var (key, stored) = Registered();
        using var _ = key;
        key.Counter = 5;
        var challenge = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(5u, Assert_(key, stored, 0, challenge, Expect(challenge)));
    }

    [Fact]
    public void Assertion_WithABadSignature_OrByAnotherKey_IsRefused()
    {
        var (key, stored) = Registered();
        using var _ = key;
        using var other = new TestAuthenticator();
        key.Counter = 1;
        other.Counter = 1;
        var challenge = RandomNumberGenerator.GetBytes(32);
        Assert.Equal("signature", Assert.Throws<WebAuthnException>(() => Assert_(key, stored, 0, challenge, Expect(challenge), corrupt: true)).Reason);
        Assert.Equal("signature", Assert.Throws<WebAuthnException>(() => Assert_(other, stored, 0, challenge, Expect(challenge))).Reason);
    }

    [Fact]
    public void Assertion_ForAReplayedChallenge_AnotherOrigin_OrAnotherRpId_IsRefused()
    {
        var (key, stored) = Registered();
        using var _ = key;
        key.Counter = 1;
        var old = RandomNumberGenerator.GetBytes(32);
        var current = RandomNumberGenerator.GetBytes(32);
        Assert.Equal("challenge", Assert.Throws<WebAuthnException>(() => Assert_(key, stored, 0, old, Expect(current))).Reason);
        Assert.Equal("origin", Assert.Throws<WebAuthnException>(() => Assert_(key, stored, 0, current, Expect(current), origin: "https://localhost:9999")).Reason);
        Assert.Equal("rp_id", Assert.Throws<WebAuthnException>(() => Assert_(key, stored, 0, current, Expect(current), authData: key.AuthData(attested: false, rpId: "example.com"))).Reason);
        Assert.Equal("type", Assert.Throws<WebAuthnException>(() => Assert_(key, stored, 0, current, Expect(current), type: "webauthn.create")).Reason);
    }

    [Theory]
    [InlineData(7u, 7u)]
    [InlineData(7u, 3u)]
    [InlineData(7u, 0u)]
    public void Assertion_WhoseCounterDoesNotGrow_IsRefusedAsAClone(uint stored, uint presented)
    {
        var (key, credential) = Registered();
        using var _ = key;
        key.Counter = presented;
        var challenge = RandomNumberGenerator.GetBytes(32);
        Assert.Equal("counter", Assert.Throws<WebAuthnException>(() => Assert_(key, credential, stored, challenge, Expect(challenge))).Reason);
    }

    [Fact]
    public void Assertion_OfAKeyWithoutACounter_ZeroBothTimes_IsAccepted()
    {
        var (key, stored) = Registered();
        using var _ = key;
        var challenge = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(0u, Assert_(key, stored, 0, challenge, Expect(challenge)));
    }

    [Fact]
    public void Cbor_RefusesDeepNesting_HugeDeclaredLengths_IndefiniteLengths_AndTrailingBytes()
    {
        var deep = Enumerable.Repeat((byte)0x81, CborReader.MaxDepth + 2).Append((byte)0x00).ToArray(); // [[[[...0]]]]
        Assert.Contains("deeper", Assert.Throws<WebAuthnException>(() => CborReader.ReadSingle(deep)).Message);
        Assert.Contains("left", Assert.Throws<WebAuthnException>(() => CborReader.ReadSingle([0x5a, 0x7f, 0xff, 0xff, 0xff, 0x00])).Message);
        Assert.Contains("items", Assert.Throws<WebAuthnException>(() => CborReader.ReadSingle([0x9a, 0x7f, 0xff, 0xff, 0xff])).Message);
        Assert.Contains("indefinite", Assert.Throws<WebAuthnException>(() => CborReader.ReadSingle([0x9f, 0x00, 0xff])).Message);
        Assert.Contains("follow", Assert.Throws<WebAuthnException>(() => CborReader.ReadSingle([0x00, 0x00])).Message);
        Assert.Contains("duplicate", Assert.Throws<WebAuthnException>(() => CborReader.ReadSingle([0xa2, 0x01, 0x00, 0x01, 0x00])).Message);
    }

    [Fact]
    public void Cbor_EveryTruncatedPrefixOfAnAttestationObject_IsRefused_NeverAnotherException()
    {
        using var key = new TestAuthenticator();
        var full = key.AttestationNone();
        Assert.Equal(CborKind.Map, CborReader.ReadSingle(full).Kind);
        for (var n = 0; n < full.Length; n++)
        {
            Assert.Throws<WebAuthnException>(() => CborReader.ReadSingle(full.AsSpan(0, n)));
        }
    }

    [Fact]
    public void CoseKey_OfAnUnsupportedAlgorithm_OrAPointOffTheCurve_IsRefused()
    {
        var w = new CborWriter();
        w.Map(2); w.Int(1); w.Int(1); w.Int(3); w.Int(-8); // OKP / EdDSA
        Assert.Equal("unsupported_key", Assert.Throws<WebAuthnException>(() => CoseKey.Parse(w.ToArray())).Reason);
        var off = new CborWriter();
        off.Map(5); off.Int(1); off.Int(2); off.Int(3); off.Int(-7); off.Int(-1); off.Int(1); off.Int(-2); off.Bytes(new byte[32]); off.Int(-3); off.Bytes(new byte[32]);
        Assert.Equal("unsupported_key", Assert.Throws<WebAuthnException>(() => CoseKey.Parse(off.ToArray())).Reason);
    }
}
