using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tests;

public sealed class CertificateAuthorityStoreTests
{
    [Fact]
    public void OpenOrCreate_FirstStart_WritesEveryFileWithMode0600()
    {
        using var ca = new TestAuthority();

        var files = Directory.GetFiles(Path.Combine(ca.Directory, "ca"), "*", SearchOption.AllDirectories);

        Assert.Equal(9, files.Length); // 3 CAs × (key, certificate, state)
        Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(ca.Directory, "ca", "user")));
    }

    [Fact]
    public void OpenOrCreate_FirstStart_MakesThreeDistinctSelfSignedP256Cas()
    {
        using var ca = new TestAuthority();

        var roots = new[] { CaKind.User, CaKind.Host, CaKind.DbClient }.Select(k => ca.Store.GetTrustedRoots(k).Single()).ToArray();

        Assert.Equal(3, roots.Select(r => r.Thumbprint).Distinct().Count());
        Assert.All(roots, root =>
        {
            Assert.Equal(root.Subject, root.Issuer);
            var constraints = Assert.Single(root.Extensions.OfType<X509BasicConstraintsExtension>());
            Assert.True(constraints.CertificateAuthority);
            Assert.True(constraints.Critical);
            Assert.True(Assert.Single(root.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
            using var key = root.GetECDsaPublicKey();
            Assert.Equal(256, key!.KeySize);
            Assert.True(root.NotAfter > DateTime.UtcNow.AddYears(9));
            Assert.Contains("O=test-cluster", root.Subject, StringComparison.Ordinal);
        });
        Assert.Contains("db-client CA", roots[2].Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenOrCreate_SecondStart_ReloadsTheSameKeys()
    {
        using var ca = new TestAuthority();
        using var issued = ca.IssueUser();

        using var reopened = CertificateAuthorityStore.OpenOrCreate(ca.Directory, "test-cluster", ca.Clock);

        foreach (var kind in new[] { CaKind.User, CaKind.Host, CaKind.DbClient })
        {
            Assert.Equal(ca.Store.GetKeys(kind).Single().Id, reopened.GetKeys(kind).Single().Id);
        }

        Assert.True(reopened.CreateVerifier(CaKind.User).VerifyUser(issued).IsValid);
        using var key = KeyPair.Generate();
        using var fromReloadedKey = new CertificateIssuer(reopened).IssueUserCertificate(key.ToClientPublicKey(), TestAuthority.Alice(), TimeSpan.FromHours(1), TimeSpan.FromHours(1)).ToX509Certificate2();
        Assert.True(ca.Store.CreateVerifier(CaKind.User).VerifyUser(fromReloadedKey).IsValid);
    }

    [Fact]
    public void OpenOrCreate_KeyFileReadableByOthers_IsRefusedWithTheChmodFix()
    {
        using var ca = new TestAuthority();
        var keyFile = Directory.GetFiles(Path.Combine(ca.Directory, "ca", "host"), "*.key.pem").Single();
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<InvalidOperationException>(() => CertificateAuthorityStore.OpenOrCreate(ca.Directory, "test-cluster", ca.Clock));

        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenOrCreate_CorruptStateFile_IsRefused()
    {
        using var ca = new TestAuthority();
        var state = Path.Combine(ca.Directory, "ca", "user", "state");
        File.WriteAllText(state, "signing not-hex!\n");
        File.SetUnixFileMode(state, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Throws<InvalidOperationException>(() => CertificateAuthorityStore.OpenOrCreate(ca.Directory, "test-cluster", ca.Clock));
    }

    [Fact]
    public void GetTrustedRoots_NeverExposesPrivateKeys()
    {
        using var ca = new TestAuthority();

        Assert.False(ca.Store.GetTrustedRoots(CaKind.User)[0].HasPrivateKey);
        Assert.DoesNotContain("PRIVATE", ca.Store.ExportTrustedRootsPem(CaKind.User), StringComparison.Ordinal);
    }
}
