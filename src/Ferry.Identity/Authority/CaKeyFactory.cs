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
            using var certificateKey = certificate.GetECDsaPublicKey()
                ?? throw new InvalidOperationException($"CA certificate {certificatePath} does not hold an ECDSA key: restore the CA files from backup");
            if (!certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new InvalidOperationException($"CA key {keyPath} does not match certificate {certificatePath}: restore the CA files from backup");
            }

            var ski = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifier;
            if (!string.Equals(ski, id, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CA certificate {certificatePath} has key id {ski}, expected {id}: restore the CA files from backup");
            }

            return new CaKeyEntry(id, status, certificate, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static void Save(string dir, CaKeyEntry entry)
    {
        CaFiles.WritePrivate(CaFiles.KeyPath(dir, entry.Id), entry.PrivateKey.ExportPkcs8PrivateKeyPem());
        CaFiles.WritePrivate(CaFiles.CertificatePath(dir, entry.Id), entry.Certificate.ExportCertificatePem());
    }
}
