using System.Security.Cryptography;

namespace Ferry.Identity.Tests;

public sealed class ClientPublicKeyTests
{
    [Fact]
    public void FromCertificateSigningRequest_ValidCsr_CertifiesTheCsrKey()
    {
        using var ca = new TestAuthority();
        using var pair = KeyPair.Generate();

        var key = ClientPublicKey.FromCertificateSigningRequestPem(pair.CreateSigningRequestPem("whatever-the-client-asks"));
        using var certificate = ca.Issuer.IssueUserCertificate(key, TestAuthority.Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).ToX509Certificate2();

        Assert.Equal(pair.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal("CN=alice", certificate.Subject); // the server decides the subject, not the CSR
    }

    [Fact]
    public void FromCertificateSigningRequest_SignatureTampered_IsRejected()
    {
        using var pair = KeyPair.Generate();
        var csr = pair.CreateSigningRequest("alice");
        csr[^5] ^= 0x01; // inside the ECDSA signature value

        var error = Assert.Throws<InvalidCertificateRequestException>(() => ClientPublicKey.FromCertificateSigningRequest(csr));
        Assert.Contains("signature", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCertificateSigningRequest_SubjectChangedAfterSigning_IsRejected()
    {
        using var pair = KeyPair.Generate();
        var csr = pair.CreateSigningRequest("alice");
        var at = csr.AsSpan().IndexOf("alice"u8);
        csr[at] = (byte)'m';

        Assert.Throws<InvalidCertificateRequestException>(() => ClientPublicKey.FromCertificateSigningRequest(csr));
    }

    [Fact]
    public void FromCertificateSigningRequest_RsaSignedCsr_IsVerifiedAndAccepted()
    {
        using var rsa = RSA.Create(2048);
        var csr = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=alice", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();

        var key = ClientPublicKey.FromCertificateSigningRequest(csr);
        csr[^3] ^= 0x01;

        Assert.True(key.IsRsa);
        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), key.SubjectPublicKeyInfo.ToArray());
        Assert.Throws<InvalidCertificateRequestException>(() => ClientPublicKey.FromCertificateSigningRequest(csr));
    }

    [Fact]
    public void FromCertificateSigningRequest_EveryTruncation_IsRejected()
    {
        using var pair = KeyPair.Generate();
        var csr = pair.CreateSigningRequest("alice");

        for (var length = 0; length < csr.Length; length++)
        {
            Assert.Throws<InvalidCertificateRequestException>(() => ClientPublicKey.FromCertificateSigningRequest(csr.AsSpan(0, length)));
        }
    }

    [Fact]
    public void FromPem_PublicKeyPem_AcceptsAndMatches()
    {
        using var pair = KeyPair.Generate();

        var key = ClientPublicKey.FromPem(pair.ExportPublicKeyPem());

        Assert.Equal(pair.ExportSubjectPublicKeyInfo(), key.SubjectPublicKeyInfo.ToArray());
    }

    [Fact]
    public void FromPem_PrivateKeyPemByMistake_IsRejected()
    {
        using var pair = KeyPair.Generate();

        Assert.Throws<InvalidCertificateRequestException>(() => ClientPublicKey.FromPem(pair.ExportPrivateKeyPem()));
    }

    [Fact]
    public void FromSubjectPublicKeyInfo_WeakRsaKey_IsRejected()
    {
        using var rsa = RSA.Create(1024);

        Assert.Throws<InvalidCertificateRequestException>(() => ClientPublicKey.FromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void FromSubjectPublicKeyInfo_Garbage_IsRejected()
    {
        Assert.Throws<InvalidCertificateRequestException>(() => ClientPublicKey.FromSubjectPublicKeyInfo([0x30, 0x03, 0x01, 0x02, 0x03]));
    }

    [Fact]
    public void KeyPair_PrivateKeyPem_RoundTrips()
    {
        using var pair = KeyPair.Generate();

        using var again = KeyPair.FromPrivateKeyPem(pair.ExportPrivateKeyPem());

        Assert.Equal(pair.ExportSubjectPublicKeyInfo(), again.ExportSubjectPublicKeyInfo());
    }
}
