using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity.Tests;

public sealed class DatabaseCertificateTests
{
    [Fact]
    public void IssueDbClientCertificate_SubjectIsExactlyOneCommonName()
    {
        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();

        using var certificate = ca.Issuer.IssueDbClientCertificate(key.ToClientPublicKey(), "app_user", TimeSpan.FromHours(1)).ToX509Certificate2();

        Assert.Equal("CN=app_user", certificate.Subject);
        // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "app_user" } } }: one RDN, nothing else
        Assert.Equal(Convert.FromHexString("30133111300F06035504030C086170705F75736572"), certificate.SubjectName.RawData);
        Assert.Equal(ca.Store.GetTrustedRoots(CaKind.DbClient)[0].Subject, certificate.Issuer);
        Assert.Equal(IdentityOids.ClientAuth, Assert.Single(Assert.Single(certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()).Value);
    }

    [Fact]
    public void ExportDatabaseServerBundle_GivesAMatchingKeyAndACaThatChainsIt()
    {
        using var ca = new TestAuthority();

        var bundle = ca.Issuer.ExportDatabaseServerBundle(["db.internal", "localhost"], [IPAddress.Loopback], TimeSpan.FromDays(90));

        using var server = TlsCertificates.FromPem(bundle.CertificatePem, bundle.KeyPem);
        Assert.True(server.HasPrivateKey);
        Assert.Equal("CN=db.internal", server.Subject);
        Assert.True(server.MatchesHostname("localhost"));
        Assert.True(server.MatchesHostname("127.0.0.1"));
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(bundle.CaPem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(IdentityOids.ServerAuth));
        Assert.True(chain.Build(server), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void ExportDatabaseServerBundle_WithoutNames_IsRefused()
    {
        using var ca = new TestAuthority();

        Assert.Throws<InvalidCertificateRequestException>(() => ca.Issuer.ExportDatabaseServerBundle([], [], TimeSpan.FromDays(1)));
    }

    [Fact]
    public void OpenSslVerify_AcceptsDbClientAndDatabaseServerCertificates()
    {
        if (!OpenSslAvailable())
        {
            return; // openssl is not installed on this machine; the in-process chain tests above still run
        }

        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();
        using var client = ca.Issuer.IssueDbClientCertificate(key.ToClientPublicKey(), "app_user", TimeSpan.FromHours(1)).ToX509Certificate2();
        var bundle = ca.Issuer.ExportDatabaseServerBundle(["db.internal"], [IPAddress.Loopback], TimeSpan.FromDays(1));
        var dir = ca.Directory;
        File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.Store.ExportTrustedRootsPem(CaKind.DbClient));
        File.WriteAllText(Path.Combine(dir, "client.pem"), client.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "server.pem"), bundle.CertificatePem);
        File.WriteAllText(Path.Combine(dir, "server.key"), bundle.KeyPem);

        var (clientCode, clientOut) = OpenSsl(dir, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.pem", "client.pem");
        var (serverCode, serverOut) = OpenSsl(dir, "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", "db.internal", "-CAfile", "ca.pem", "server.pem");
        var (subjectCode, subject) = OpenSsl(dir, "x509", "-noout", "-subject", "-nameopt", "compat", "-in", "client.pem");
        var (keyCode, _) = OpenSsl(dir, "pkey", "-in", "server.key", "-noout");

        Assert.True(clientCode == 0, clientOut);
        Assert.True(serverCode == 0, serverOut);
        Assert.Equal(0, subjectCode);
        Assert.Equal("subject=/CN=app_user", subject.Trim()); // what MariaDB's REQUIRE SUBJECT compares against
        Assert.Equal(0, keyCode);
    }

    [Fact]
    public void OpenSslVerify_AcceptsUserAndHostCertificatesUnderStrictChecks()
    {
        if (!OpenSslAvailable())
        {
            return;
        }

        using var ca = new TestAuthority();
        using var user = ca.IssueUser();
        using var host = ca.IssueHost();
        File.WriteAllText(Path.Combine(ca.Directory, "user-ca.pem"), ca.Store.ExportTrustedRootsPem(CaKind.User));
        File.WriteAllText(Path.Combine(ca.Directory, "host-ca.pem"), ca.Store.ExportTrustedRootsPem(CaKind.Host));
        File.WriteAllText(Path.Combine(ca.Directory, "user.pem"), user.ExportCertificatePem());
        File.WriteAllText(Path.Combine(ca.Directory, "host.pem"), host.ExportCertificatePem());

        var (userCode, userOut) = OpenSsl(ca.Directory, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "user-ca.pem", "user.pem");
        var (hostCode, hostOut) = OpenSsl(ca.Directory, "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", "proxy.example.com", "-CAfile", "host-ca.pem", "host.pem");

        Assert.True(userCode == 0, userOut);
        Assert.True(hostCode == 0, hostOut);
    }

    [Fact]
    public void OpenSslVerify_DbClientCertificateAgainstAnotherCa_Fails()
    {
        if (!OpenSslAvailable())
        {
            return;
        }

        using var ca = new TestAuthority();
        using var key = KeyPair.Generate();
        using var client = ca.Issuer.IssueDbClientCertificate(key.ToClientPublicKey(), "app_user", TimeSpan.FromHours(1)).ToX509Certificate2();
        File.WriteAllText(Path.Combine(ca.Directory, "user-ca.pem"), ca.Store.ExportTrustedRootsPem(CaKind.User));
        File.WriteAllText(Path.Combine(ca.Directory, "client.pem"), client.ExportCertificatePem());

        var (code, _) = OpenSsl(ca.Directory, "verify", "-CAfile", "user-ca.pem", "client.pem");

        Assert.NotEqual(0, code);
    }

    private static bool OpenSslAvailable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => File.Exists(Path.Combine(p, "openssl")));

    private static (int Code, string Output) OpenSsl(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException("openssl did not finish in 30 s");
        }

        return (process.ExitCode, output.Result + error.Result);
    }
}
