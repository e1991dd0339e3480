using System.Text.Json.Nodes;
using Ferry.Auth.Sso;

namespace Ferry.Auth.Tests.Sso;

public sealed class IdTokenValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly IdTokenExpectations Expect = new(TestSigner.Issuer, TestSigner.ClientId, TestSigner.Nonce);

    private static async Task<SsoFailure> RefusedAsync(string token, IVerificationKeySource keys, IdTokenExpectations? expect = null, DateTimeOffset? at = null) =>
        await Assert.ThrowsAsync<SsoFailure>(async () => await IdTokenValidator.ValidateAsync(token, expect ?? Expect, keys, at ?? Now, default));

    [Fact]
    public async Task Validate_Rs256AndEs256Tokens_ReturnTheClaims()
    {
        using var rsa = TestSigner.Rsa();
        using var ec = TestSigner.EcP256();
        var keys = new StaticKeys([rsa.Key(), ec.Key()]);

        var a = await IdTokenValidator.ValidateAsync(rsa.Sign(TestSigner.Claims(Now)), Expect, keys, Now, default);
        var b = await IdTokenValidator.ValidateAsync(ec.Sign(TestSigner.Claims(Now)), Expect, keys, Now, default);

        Assert.Equal("alice@example.com", a.GetProperty("email").GetString());
        Assert.Equal("248289761001", b.GetProperty("sub").GetString());
        Assert.Equal(0, keys.Refreshes);
    }

    [Fact]
    public async Task Validate_TamperedPayload_IsRefusedAsBadSignature()
    {
        using var rsa = TestSigner.Rsa();
        var token = rsa.Sign(TestSigner.Claims(Now));
        var parts = token.Split('.');
        var forged = parts[0] + "." + TestSigner.Part(TestSigner.Claims(Now, c => c["email"] = "mallory@example.com")) + "." + parts[2];

        var failure = await RefusedAsync(forged, new StaticKeys([rsa.Key()]));

        Assert.Equal(SsoFailure.Reasons.Signature, failure.Reason);
    }

    [Fact]
    public async Task Validate_SignedByAnotherKeyWithTheSameKid_IsRefusedAsBadSignature()
    {
        using var genuine = TestSigner.Rsa("k");
        using var attacker = TestSigner.Rsa("k");

        var failure = await RefusedAsync(attacker.Sign(TestSigner.Claims(Now)), new StaticKeys([genuine.Key()]));

        Assert.Equal(SsoFailure.Reasons.Signature, failure.Reason);
    }

    [Fact]
    public async Task Validate_WrongAudience_NamesClientId()
    {
        using var rsa = TestSigner.Rsa();
        var token = rsa.Sign(TestSigner.Claims(Now, c => c["aud"] = "another-app"));

        var failure = await RefusedAsync(token, new StaticKeys([rsa.Key()]));

        Assert.Equal(SsoFailure.Reasons.Audience, failure.Reason);
        Assert.Contains("client_id", failure.Message, StringComparison.Ordinal);
        Assert.Contains("another-app", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeveralAudiences_NeedsAzpEqualToClientId()
    {
        using var rsa = TestSigner.Rsa();
        var keys = new StaticKeys([rsa.Key()]);
        var withoutAzp = rsa.Sign(TestSigner.Claims(Now, c => c["aud"] = new JsonArray(TestSigner.ClientId, "other")));
        var withAzp = rsa.Sign(TestSigner.Claims(Now, c =>
        {
            c["aud"] = new JsonArray(TestSigner.ClientId, "other");
            c["azp"] = TestSigner.ClientId;
        }));

        Assert.Equal(SsoFailure.Reasons.Audience, (await RefusedAsync(withoutAzp, keys)).Reason);
        await IdTokenValidator.ValidateAsync(withAzp, Expect, keys, Now, default);
    }

    [Fact]
    public async Task Validate_Expired_IsRefusedButSmallSkewIsTolerated()
    {
        using var rsa = TestSigner.Rsa();
        var keys = new StaticKeys([rsa.Key()]);
        var token = rsa.Sign(TestSigner.Claims(Now));

        await IdTokenValidator.ValidateAsync(token, Expect, keys, Now.AddMinutes(6), default); // exp + 1 min: within the 2 min skew
        var failure = await RefusedAsync(token, keys, at: Now.AddMinutes(8));

        Assert.Equal(SsoFailure.Reasons.Expired, failure.Reason);
        Assert.Contains("clock", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_IssuedInTheFuture_NamesClockSkew()
    {
        using var rsa = TestSigner.Rsa();
        var token = rsa.Sign(TestSigner.Claims(Now.AddMinutes(10)));

        var failure = await RefusedAsync(token, new StaticKeys([rsa.Key()]));

        Assert.Equal(SsoFailure.Reasons.ClockSkew, failure.Reason);
        Assert.Contains("NTP", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_NonceMismatchOrMissing_IsRefused()
    {
        using var rsa = TestSigner.Rsa();
        var keys = new StaticKeys([rsa.Key()]);

        Assert.Equal(SsoFailure.Reasons.Nonce, (await RefusedAsync(rsa.Sign(TestSigner.Claims(Now, c => c["nonce"] = "other")), keys)).Reason);
        Assert.Equal(SsoFailure.Reasons.Nonce, (await RefusedAsync(rsa.Sign(TestSigner.Claims(Now, c => c.Remove("nonce"))), keys)).Reason);
    }

    [Fact]
    public async Task Validate_WrongIssuer_NamesIssuerUrl()
    {
        using var rsa = TestSigner.Rsa();

        var failure = await RefusedAsync(rsa.Sign(TestSigner.Claims(Now, c => c["iss"] = "https://evil.example.com")), new StaticKeys([rsa.Key()]));

        Assert.Equal(SsoFailure.Reasons.Issuer, failure.Reason);
        Assert.Contains("issuer_url", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_AlgNone_IsRefused()
    {
        using var rsa = TestSigner.Rsa();
        var header = new JsonObject { ["alg"] = "none", ["kid"] = rsa.Kid };
        var token = TestSigner.Part(header) + "." + TestSigner.Part(TestSigner.Claims(Now)) + ".";

        var failure = await RefusedAsync(token, new StaticKeys([rsa.Key()]));

        Assert.Equal(SsoFailure.Reasons.Algorithm, failure.Reason);
    }

    [Fact]
    public async Task Validate_Hs256WithThePublicKeyAsSecret_IsRefused()
    {
        // The classic confusion attack: HMAC keyed with the provider's public key, which anyone can fetch.
        using var rsa = TestSigner.Rsa();
        var jwk = rsa.PublicJwk();
        var header = new JsonObject { ["alg"] = "HS256", ["kid"] = rsa.Kid };
        var input = TestSigner.Part(header) + "." + TestSigner.Part(TestSigner.Claims(Now));
        var mac = System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.ASCII.GetBytes(jwk.N!), System.Text.Encoding.ASCII.GetBytes(input));

        var failure = await RefusedAsync(input + "." + Base64Url.Encode(mac), new StaticKeys([rsa.Key()]));

        Assert.Equal(SsoFailure.Reasons.Algorithm, failure.Reason);
    }

    [Fact]
    public async Task Validate_UnknownKid_RefetchesOnceAndAcceptsTheRotatedKey()
    {
        using var old = TestSigner.Rsa("2025");
        using var rotated = TestSigner.EcP256("2026");
        var keys = new StaticKeys([old.Key()], [old.Key(), rotated.Key()]);

        var claims = await IdTokenValidator.ValidateAsync(rotated.Sign(TestSigner.Claims(Now)), Expect, keys, Now, default);

        Assert.Equal("alice@example.com", claims.GetProperty("email").GetString());
        Assert.Equal(1, keys.Refreshes);
    }

    [Fact]
    public async Task Validate_KidNowhere_RefetchesOnceThenNamesTheKey()
    {
        using var known = TestSigner.Rsa("known");
        using var stranger = TestSigner.Rsa("stranger");
        var keys = new StaticKeys([known.Key()]);

        var failure = await RefusedAsync(stranger.Sign(TestSigner.Claims(Now)), keys);

        Assert.Equal(SsoFailure.Reasons.UnknownKey, failure.Reason);
        Assert.Contains("\"stranger\"", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, keys.Refreshes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("!!.??.**")]
    public async Task Validate_Malformed_IsRefused(string token)
    {
        using var rsa = TestSigner.Rsa();

        var failure = await RefusedAsync(token, new StaticKeys([rsa.Key()]));

        Assert.Contains(failure.Reason, new[] { SsoFailure.Reasons.Malformed, SsoFailure.Reasons.Algorithm });
    }

    [Fact]
    public void VerificationKey_WeakRsaAndEncryptionKeys_AreSkipped()
    {
        using var weak = System.Security.Cryptography.RSA.Create(1024);
        var p = weak.ExportParameters(false);
        using var rsa = TestSigner.Rsa();
        var enc = rsa.PublicJwk();
        enc.Use = "enc";

        Assert.Null(VerificationKey.TryCreate(new JsonWebKey { Kty = "RSA", Kid = "w", N = Base64Url.Encode(p.Modulus), E = Base64Url.Encode(p.Exponent) }));
        Assert.Null(VerificationKey.TryCreate(enc));
        Assert.Null(VerificationKey.TryCreate(new JsonWebKey { Kty = "oct", Kid = "h" }));
    }
}
