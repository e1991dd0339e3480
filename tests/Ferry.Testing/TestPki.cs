using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Testing;

/// <summary>
/// A minimal throwaway PKI for fixture smoke tests, independent of Ferry's own CA so that the
/// fixtures can be proven on their own. Product tests hand in certificates from Ferry's CA instead.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly ECDsa _caKey;

    public TestPki(string name = "Ferry test CA")
    {
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}", _caKey, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        Ca = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    public X509Certificate2 Ca { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public (string CertPem, string KeyPem) IssueServer(string dnsName = "localhost")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return Issue(req, key);
    }

    public (string CertPem, string KeyPem) IssueClient(string commonName, TimeSpan? lifetime = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        return Issue(req, key, lifetime);
    }

    private (string, string) Issue(CertificateRequest req, ECDsa key, TimeSpan? lifetime = null)
    {
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var now = DateTimeOffset.UtcNow;
        using var cert = req.Create(Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), now.AddMinutes(-1), now + (lifetime ?? TimeSpan.FromHours(1)), serial);
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public ServerTls ServerTls()
    {
        var (cert, key) = IssueServer();
        return new ServerTls(CaPem, cert, key);
    }

    /// <summary>Writes a client certificate and key to files (key mode 0600) and returns their paths.</summary>
    public static (string CertPath, string KeyPath) WriteClientFiles(string dir, string name, (string CertPem, string KeyPem) pair)
    {
        Directory.CreateDirectory(dir);
        var certPath = Path.Combine(dir, name + ".pem");
        var keyPath = Path.Combine(dir, name + ".key");
        File.WriteAllText(certPath, pair.CertPem);
        File.WriteAllText(keyPath, pair.KeyPem);
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (certPath, keyPath);
    }

    public void Dispose()
    {
        Ca.Dispose();
        _caKey.Dispose();
    }
}
