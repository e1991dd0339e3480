using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>Creates and loads CA keys: ECDSA P-256, self-signed, BasicConstraints CA (critical), KeyUsage keyCertSign|cRLSign (critical).</summary>
internal static class CaKeyFactory
{
    /// <summary>CA certificates are valid this long; leaf certificates never outlive their CA.</summary>
    public static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);

    public static CaKeyEntry Create(CaKind kind, string clusterName, CaKeyStatus status, DateTimeOffset now)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest(new X500DistinguishedName("CN=placeholder"), key, HashAlgorithmName.SHA256);
            var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false);
            var id = ski.SubjectKeyIdentifier!.ToLowerInvariant();

            var name = new X500DistinguishedNameBuilder();
            name.AddOrganizationName(clusterName);
            name.AddCommonName($"Ferry {kind.ToName()} CA {id[..8]}");
            request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
            request.CertificateExtensions.Add(ski);
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
            using var withKey = request.CreateSelfSigned(now - IdentityLimits.ClockSkewBackdate, now + CaValidity);
            var publicOnly = X509CertificateLoader.LoadCertificate(withKey.RawData);
            return new CaKeyEntry(id, status, publicOnly, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static CaKeyEntry Load(string dir, string id, CaKeyStatus status)
    {
        var certificatePath = CaFiles.CertificatePath(dir, id);
        var keyPath = CaFiles.KeyPath(dir, id);
        var certificate = X509Certificate2.CreateFromPem(CaFiles.ReadPrivate(certificatePath));
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(CaFiles.ReadPrivate(keyPath));
            return Check(id, status, certificate, key, $"CA certificate {certificatePath}", $"CA key {keyPath}", "restore the CA files from backup");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A key from its certificate (DER) and PKCS#8 private key, as kept in a shared backend.</summary>
    public static CaKeyEntry FromParts(string id, CaKeyStatus status, byte[] certificateDer, ReadOnlySpan<byte> pkcs8, string where)
    {
        var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return Check(id, status, certificate, key, $"CA certificate {id} in {where}", $"CA key {id} in {where}", "restore the backend from backup");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static CaKeyEntry Check(string id, CaKeyStatus status, X509Certificate2 certificate, ECDsa key, string certificateName, string keyName, string fix)
    {
        using var certificateKey = certificate.GetECDsaPublicKey()
            ?? throw new InvalidOperationException($"{certificateName} does not hold an ECDSA key: {fix}");
        if (!certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new InvalidOperationException($"{keyName} does not match {certificateName}: {fix}");
        }

        var ski = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifier;
        if (!string.Equals(ski, id, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{certificateName} has key id {ski}, expected {id}: {fix}");
        }

        return new CaKeyEntry(id, status, certificate, key);
    }

    public static void Save(string dir, CaKeyEntry entry)
    {
        CaFiles.WritePrivate(CaFiles.KeyPath(dir, entry.Id), entry.PrivateKey.ExportPkcs8PrivateKeyPem());
        CaFiles.WritePrivate(CaFiles.CertificatePath(dir, entry.Id), entry.Certificate.ExportCertificatePem());
    }
}
