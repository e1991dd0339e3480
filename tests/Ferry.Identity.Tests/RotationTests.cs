namespace Ferry.Identity.Tests;

public sealed class RotationTests
{
    [Theory]
    [InlineData(CaKind.User)]
    [InlineData(CaKind.Host)]
    [InlineData(CaKind.DbClient)]
    public void Rotation_ThroughAddSwitchRetire_KeepsTrustUntilRetire(CaKind kind)
    {
        using var ca = new TestAuthority();
        var original = ca.Store.GetKeys(kind).Single();
        Assert.Equal(CaRotationPhase.Standby, ca.Store.GetRotationPhase(kind));
        using var fromOld = Issue(ca, kind);

        // add: the new key is trusted, the old key still signs
        var added = ca.Store.AddKey(kind);
        Assert.Equal(CaRotationPhase.Added, ca.Store.GetRotationPhase(kind));
        Assert.Equal(CaKeyStatus.Pending, added.Status);
        Assert.Equal(2, ca.Store.GetTrustedRoots(kind).Count);
        using var duringAdd = Issue(ca, kind);
        Assert.Equal(original.Certificate.Subject, duringAdd.Issuer);
        Assert.Equal(VerificationFailure.None, Verify(ca, kind, fromOld));
        Assert.Equal(VerificationFailure.None, Verify(ca, kind, duringAdd));

        // switch: the new key signs, certificates from the old one still verify
        ca.Store.SwitchSigningKey(kind);
        Assert.Equal(CaRotationPhase.Switched, ca.Store.GetRotationPhase(kind));
        using var fromNew = Issue(ca, kind);
        Assert.Equal(added.Certificate.Subject, fromNew.Issuer);
        Assert.Equal(VerificationFailure.None, Verify(ca, kind, fromOld));
        Assert.Equal(VerificationFailure.None, Verify(ca, kind, fromNew));

        // retire: the old key is dropped
        ca.Store.RetireOldKeys(kind);
        Assert.Equal(CaRotationPhase.Standby, ca.Store.GetRotationPhase(kind));
        Assert.Equal(added.Id, ca.Store.GetKeys(kind).Single().Id);
        Assert.Equal(VerificationFailure.UnknownCa, Verify(ca, kind, fromOld));
        Assert.Equal(VerificationFailure.None, Verify(ca, kind, fromNew));
    }

    [Fact]
    public void Rotation_EachPhase_SurvivesARestart()
    {
        using var ca = new TestAuthority();
        using var fromOld = ca.IssueUser();

        ca.Store.AddKey(CaKind.User);
        using (var reopened = CertificateAuthorityStore.OpenOrCreate(ca.Directory, "test-cluster", ca.Clock))
        {
            Assert.Equal(CaRotationPhase.Added, reopened.GetRotationPhase(CaKind.User));
        }

        ca.Store.SwitchSigningKey(CaKind.User);
        using (var reopened = CertificateAuthorityStore.OpenOrCreate(ca.Directory, "test-cluster", ca.Clock))
        {
            Assert.Equal(CaRotationPhase.Switched, reopened.GetRotationPhase(CaKind.User));
            using var key = KeyPair.Generate();
            using var fromNew = new CertificateIssuer(reopened).IssueUserCertificate(key.ToClientPublicKey(), TestAuthority.Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).ToX509Certificate2();
            Assert.Equal(ca.Store.GetKeys(CaKind.User).Single(k => k.Status == CaKeyStatus.Signing).Certificate.Subject, fromNew.Issuer);
            Assert.True(reopened.CreateVerifier(CaKind.User).VerifyUser(fromOld).IsValid);
        }

        ca.Store.RetireOldKeys(CaKind.User);
        using (var reopened = CertificateAuthorityStore.OpenOrCreate(ca.Directory, "test-cluster", ca.Clock))
        {
            Assert.Equal(CaRotationPhase.Standby, reopened.GetRotationPhase(CaKind.User));
            Assert.Equal(VerificationFailure.UnknownCa, reopened.CreateVerifier(CaKind.User).VerifyUser(fromOld).Failure);
        }

        Assert.Equal(2, Directory.GetFiles(Path.Combine(ca.Directory, "ca", "user"), "*.pem").Length);
    }

    [Fact]
    public void Rotation_StepsOutOfOrder_AreRefusedWithTheNextStep()
    {
        using var ca = new TestAuthority();

        Assert.Contains("add", Assert.Throws<InvalidOperationException>(() => ca.Store.SwitchSigningKey(CaKind.Host)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ca.Store.RetireOldKeys(CaKind.Host));
        ca.Store.AddKey(CaKind.Host);
        Assert.Throws<InvalidOperationException>(() => ca.Store.AddKey(CaKind.Host));
        Assert.Throws<InvalidOperationException>(() => ca.Store.RetireOldKeys(CaKind.Host));
        Assert.Equal(CaRotationPhase.Standby, ca.Store.GetRotationPhase(CaKind.User));
    }

    [Fact]
    public void ExportTrustedRootsPem_DuringRotation_HoldsEveryTrustedKey()
    {
        using var ca = new TestAuthority();
        ca.Store.AddKey(CaKind.DbClient);

        var pem = ca.Store.ExportTrustedRootsPem(CaKind.DbClient);

        var collection = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        collection.ImportFromPem(pem);
        Assert.Equal(2, collection.Count);
        Assert.All(collection, c => Assert.False(c.HasPrivateKey));
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 Issue(TestAuthority ca, CaKind kind)
    {
        using var key = KeyPair.Generate();
        return kind switch
        {
            CaKind.User => ca.Issuer.IssueUserCertificate(key.ToClientPublicKey(), TestAuthority.Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(8)).ToX509Certificate2(),
            CaKind.Host => ca.Issuer.IssueHostCertificate(key.ToClientPublicKey(), HostRole.Agent, "agent-1", [], [], TimeSpan.FromHours(1)).ToX509Certificate2(),
            _ => ca.Issuer.IssueDbClientCertificate(key.ToClientPublicKey(), "app_user", TimeSpan.FromHours(1)).ToX509Certificate2(),
        };
    }

    /// <summary>Db-client certificates carry no Ferry identity: their trust is checked through the platform chain with the CA's roots.</summary>
    private static VerificationFailure Verify(TestAuthority ca, CaKind kind, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var verifier = ca.Store.CreateVerifier(kind);
        return kind switch
        {
            CaKind.User => verifier.VerifyUser(certificate).Failure,
            CaKind.Host => verifier.VerifyHost(certificate).Failure,
            _ => ChainFailure(verifier, certificate),
        };
    }

    private static VerificationFailure ChainFailure(IdentityVerifier verifier, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain { ChainPolicy = verifier.CreateChainPolicy() };
        return chain.Build(certificate) ? VerificationFailure.None : VerificationFailure.UnknownCa;
    }
}
