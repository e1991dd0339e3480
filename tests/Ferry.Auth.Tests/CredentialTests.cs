using System.Text;
using Ferry.Auth.Users;

namespace Ferry.Auth.Tests;

public sealed class CredentialTests
{
    [Fact]
    public void Totp_MatchesRfc6238Sha1Vector()
    {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890": T=59 gives 94287082 (8 digits), so 287082 for 6.
        var secret = Encoding.ASCII.GetBytes("12345678901234567890");

        Assert.Equal("287082", Totp.Code(secret, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(59))));
        Assert.Equal("081804", Totp.Code(secret, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(1111111109))));
    }

    [Fact]
    public void Totp_AcceptsOneStepOfSkewAndReturnsTheStep()
    {
        var secret = Totp.NewSecret();
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var step = Totp.StepAt(now);

        Assert.Equal(step, Totp.Verify(secret, Totp.Code(secret, step), now));
        Assert.Equal(step - 1, Totp.Verify(secret, Totp.Code(secret, step - 1), now));
        Assert.Equal(step + 1, Totp.Verify(secret, Totp.Code(secret, step + 1), now));
        Assert.Null(Totp.Verify(secret, Totp.Code(secret, step - 2), now));
        Assert.Null(Totp.Verify(secret, "12345", now));
        Assert.Null(Totp.Verify(secret, "abcdef", now));
    }

    [Fact]
    public void Totp_EnrolmentUriHasSecretAndIssuer()
    {
        var secret = Encoding.ASCII.GetBytes("12345678901234567890");

        var uri = Totp.EnrolmentUri("Ferry", "alice", secret);

        Assert.StartsWith("otpauth://totp/Ferry:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Ferry", uri, StringComparison.Ordinal);
    }

    [Fact]
    public void Base32_RoundTrips()
    {
        for (var n = 0; n < 40; n++)
        {
            var data = Enumerable.Range(0, n).Select(i => (byte)(i * 37)).ToArray();
            Assert.Equal(data, Base32.Decode(Base32.Encode(data)));
        }
    }

    [Fact]
    public void PasswordHash_VerifiesOnlyTheRightPassword()
    {
        var hash = PasswordHasher.Hash("correct horse battery", memoryKiB: 1024, iterations: 1);

        Assert.StartsWith("$argon2id$v=19$m=1024,t=1,p=1$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("correct horse battery", hash));
        Assert.False(PasswordHasher.Verify("correct horse batterY", hash));
        Assert.False(PasswordHasher.Verify("x", "$argon2id$v=19$m=1,t=1,p=1$AA$AA"));
        Assert.False(PasswordHasher.Verify("x", "garbage"));
    }

    [Fact]
    public void PasswordHash_DefaultsAreTheDocumentedOnes()
    {
        var hash = PasswordHasher.Hash("another password");

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("another password", hash));
    }
}
