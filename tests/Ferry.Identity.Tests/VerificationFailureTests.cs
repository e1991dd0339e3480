using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tests;

public sealed class VerificationFailureTests
{
    [Fact]
    public void Verify_CertificateFromAnotherClustersCa_IsUnknownCa()
    {
        using var ours = new TestAuthority("ours");
        using var theirs = new TestAuthority("theirs");
        using var foreign = theirs.IssueUser(TestAuthority.Alice("theirs"));

        var result = ours.Store.CreateVerifier(CaKind.User).VerifyUser(foreign);

        Assert.Equal(VerificationFailure.UnknownCa, result.Failure);
        Assert.Null(result.Identity);
        Assert.Contains("ferry login", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ThreeMinutesAfterExpiry_IsExpiredWithHowLongAgo()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser(ttl: TimeSpan.FromMinutes(10));
        ca.Clock.Advance(TimeSpan.FromMinutes(13));

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.Equal(VerificationFailure.Expired, result.Failure);
        Assert.InRange(result.TimeOutsideValidity, TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1));
        Assert.Equal("certificate expired 3m ago: run `ferry login`", result.Message);
    }

    [Fact]
    public void Verify_JustBeforeExpiry_IsAccepted()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser(ttl: TimeSpan.FromMinutes(10));
        ca.Clock.Advance(TimeSpan.FromMinutes(9));

        Assert.True(ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate).IsValid);
    }

    [Fact]
    public void Verify_BeforeNotBefore_IsNotYetValid()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser();
        ca.Clock.Advance(TimeSpan.FromMinutes(-5));

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.Equal(VerificationFailure.NotYetValid, result.Failure);
        Assert.InRange(result.TimeOutsideValidity, TimeSpan.FromMinutes(4) - TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(1));
        Assert.Contains("clock", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyUser_HostCertificate_IsWrongUsage()
    {
        using var ca = new TestAuthority();
        using var host = ca.IssueHost();

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(host);

        Assert.Equal(VerificationFailure.WrongUsage, result.Failure);
        Assert.Contains("host certificate was presented as a user certificate", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyHost_UserCertificate_IsWrongUsage()
    {
        using var ca = new TestAuthority();
        using var user = ca.IssueUser();

        Assert.Equal(VerificationFailure.WrongUsage, ca.Store.CreateVerifier(CaKind.Host).VerifyHost(user).Failure);
    }

    [Fact]
    public void VerifyUser_DbClientCertificate_IsWrongUsage()
    {
        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();
        using var dbClient = ca.Issuer.IssueDbClientCertificate(key.ToClientPublicKey(), "alice", TimeSpan.FromHours(1)).ToX509Certificate2();

        Assert.Equal(VerificationFailure.WrongUsage, ca.Store.CreateVerifier(CaKind.DbClient).VerifyUser(dbClient).Failure);
    }

    [Fact]
    public void VerifyUser_CaCertificateItself_IsWrongUsage()
    {
        using var ca = new TestAuthority();

        var root = ca.Store.GetTrustedRoots(CaKind.User)[0];

        Assert.Equal(VerificationFailure.WrongUsage, ca.Store.CreateVerifier(CaKind.User).VerifyUser(root).Failure);
    }

    [Fact]
    public void VerifyHost_AgentCertificateWhereProxyRequired_IsWrongUsage()
    {
        using var ca = new TestAuthority();
        using var agent = ca.IssueHost(HostRole.Agent, "agent-7");
        var verifier = ca.Store.CreateVerifier(CaKind.Host);

        var asProxy = verifier.VerifyHost(agent, HostRole.Proxy);
        var asAny = verifier.VerifyHost(agent);

        Assert.Equal(VerificationFailure.WrongUsage, asProxy.Failure);
        Assert.Contains("agent host certificate", asProxy.Message, StringComparison.Ordinal);
        Assert.True(asAny.IsValid, asAny.Message);
        Assert.Equal(HostRole.Agent, asAny.Identity.Role);
    }

    [Fact]
    public void VerifyUser_UnknownCriticalExtension_IsWrongUsage()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.SignCustom(CaKind.User, "CN=alice",
        [
            ClientAuthUsage(),
            new X509Extension(IdentityOids.UserIdentityExtension, UserIdentityExtension.Encode(TestAuthority.Alice()), false),
            new X509Extension("1.2.3.4.5", [0x05, 0x00], critical: true),
        ]);

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.Equal(VerificationFailure.WrongUsage, result.Failure);
        Assert.Contains("1.2.3.4.5", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyUser_GarbageInsideTheSignedExtension_IsMalformedExtension()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.SignCustom(CaKind.User, "CN=alice",
            [ClientAuthUsage(), new X509Extension(IdentityOids.UserIdentityExtension, [0x30, 0x03, 0x02, 0x01, 0x07], false)]);

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.Equal(VerificationFailure.MalformedExtension, result.Failure);
    }

    [Fact]
    public void VerifyUser_SubjectDisagreeingWithExtension_IsMalformedExtension()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.SignCustom(CaKind.User, "CN=mallory",
            [ClientAuthUsage(), new X509Extension(IdentityOids.UserIdentityExtension, UserIdentityExtension.Encode(TestAuthority.Alice()), false)]);

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.Equal(VerificationFailure.MalformedExtension, result.Failure);
        Assert.Contains("CN", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyUser_ExtensionOverSixteenKiB_IsOversizedExtension()
    {
        using var ca = new TestAuthority();
        var huge = new UserIdentity { User = "alice", ClusterName = "c", Roles = [.. Enumerable.Range(0, 2000).Select(i => "role-number-" + i)] };
        var encoded = UserIdentityExtension.Encode(huge);
        Assert.True(encoded.Length > IdentityLimits.MaxExtensionBytes);
        using var certificate = ca.SignCustom(CaKind.User, "CN=alice",
            [ClientAuthUsage(), new X509Extension(IdentityOids.UserIdentityExtension, encoded, false)]);

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(certificate);

        Assert.Equal(VerificationFailure.OversizedExtension, result.Failure);
    }

    [Fact]
    public void VerifyUser_OneByteChangedInTheSignedPart_IsSignatureInvalid()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser();
        var der = certificate.RawData;
        var at = der.AsSpan().IndexOf("alice"u8);
        Assert.True(at > 0);
        der[at] = (byte)'m'; // CN=mlice: still well-formed, no longer what the CA signed

        var result = ca.Store.CreateVerifier(CaKind.User).VerifyUser(der);

        Assert.Equal(VerificationFailure.SignatureInvalid, result.Failure);
        Assert.Contains("tampered", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyUser_ForgedWithSameIssuerNameButOtherKey_IsSignatureInvalid()
    {
        using var ca = new TestAuthority();
        var root = ca.Store.GetTrustedRoots(CaKind.User)[0];
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=alice", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(ClientAuthUsage());
        request.CertificateExtensions.Add(new X509Extension(IdentityOids.UserIdentityExtension, UserIdentityExtension.Encode(TestAuthority.Alice()), false));
        request.CertificateExtensions.Add(root.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Select(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier).Single());
        var now = DateTimeOffset.UtcNow;
        using var forged = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(forger), now.AddMinutes(-1), now.AddHours(1), [1]);

        Assert.Equal(VerificationFailure.SignatureInvalid, ca.Store.CreateVerifier(CaKind.User).VerifyUser(forged).Failure);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x30, 0x80, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x04, 0x02, 0x41, 0x42 })]
    public void VerifyUser_NotACertificate_IsMalformedCertificate(byte[] der)
    {
        using var ca = new TestAuthority();

        Assert.Equal(VerificationFailure.MalformedCertificate, ca.Store.CreateVerifier(CaKind.User).VerifyUser(der).Failure);
    }

    [Fact]
    public void VerifyUser_EveryTruncationOfAValidCertificate_IsRejectedWithoutThrowing()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser();
        var verifier = ca.Store.CreateVerifier(CaKind.User);
        var der = certificate.RawData;

        for (var length = 0; length < der.Length; length++)
        {
            Assert.False(verifier.VerifyUser(der.AsMemory(0, length)).IsValid);
        }
    }

    [Fact]
    public void VerifyUser_FromManyThreadsAtOnce_AcceptsEveryTime()
    {
        using var ca = new TestAuthority();
        using var certificate = ca.IssueUser();
        var verifier = ca.Store.CreateVerifier(CaKind.User);
        var der = certificate.RawData;
        var accepted = 0;

        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            if (verifier.VerifyUser(der).IsValid)
            {
                Interlocked.Increment(ref accepted);
            }
        });

        Assert.Equal(400, accepted);
    }

    [Theory]
    [InlineData(VerificationFailure.UnknownCa, "ferry login")]
    [InlineData(VerificationFailure.SignatureInvalid, "ferry login")]
    [InlineData(VerificationFailure.WrongUsage, "use the user certificate")]
    [InlineData(VerificationFailure.MalformedExtension, "ferry login")]
    [InlineData(VerificationFailure.OversizedExtension, "reduce the roles")]
    [InlineData(VerificationFailure.NotYetValid, "NTP")]
    public void Describe_EveryUserFailure_NamesTheFix(VerificationFailure failure, string fix)
    {
        Assert.Contains(fix, VerificationMessages.Describe(CaKind.User, failure, "detail", TimeSpan.FromMinutes(1)), StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_HostExpiry_TellsToRejoin()
    {
        Assert.Equal("certificate expired 2h5m ago: re-join the host with a new join token (`ferry admin tokens add`)",
            VerificationMessages.Describe(CaKind.Host, VerificationFailure.Expired, "", TimeSpan.FromMinutes(125)));
    }

    private static X509EnhancedKeyUsageExtension ClientAuthUsage() => new([new Oid(IdentityOids.ClientAuth)], false);
}
