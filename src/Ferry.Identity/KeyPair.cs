using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// A client's own ECDSA P-256 key pair, generated locally; only the public key or a CSR leaves the machine.
/// </summary>
public sealed class KeyPair : IDisposable
{
    private readonly ECDsa _key;

    private KeyPair(ECDsa key) => _key = key;

    /// <summary>Generates a new P-256 key pair.</summary>
    public static KeyPair Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a key pair from a PEM private key (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY").</summary>
    public static KeyPair FromPrivateKeyPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            return new KeyPair(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The private key as PEM PKCS#8 ("PRIVATE KEY"); store it with mode 0600.</summary>
    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The public key as PEM ("PUBLIC KEY").</summary>
    public string ExportPublicKeyPem() => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>The public key as DER SubjectPublicKeyInfo.</summary>
    public byte[] ExportSubjectPublicKeyInfo() => _key.ExportSubjectPublicKeyInfo();

    /// <summary>The public key in the form the issuer takes.</summary>
    public ClientPublicKey ToClientPublicKey() => ClientPublicKey.FromSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo());

    /// <summary>A DER PKCS#10 request for CN=<paramref name="commonName"/>, signed with this key (proof of possession).</summary>
    public byte[] CreateSigningRequest(string commonName)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        return new CertificateRequest(name.Build(), _key, HashAlgorithmName.SHA256).CreateSigningRequest();
    }

    /// <summary>A PEM ("CERTIFICATE REQUEST") PKCS#10 request for CN=<paramref name="commonName"/>.</summary>
    public string CreateSigningRequestPem(string commonName)
    {
        var name = new X500DistinguishedNameBuilder();
        name.AddCommonName(commonName);
        return new CertificateRequest(name.Build(), _key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
    }

    /// <summary>Pairs a certificate issued for this key with the private key, ready for <see cref="System.Net.Security.SslStream"/>.</summary>
    public X509Certificate2 WithCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return TlsCertificates.FromPem(certificate.ExportCertificatePem(), ExportPrivateKeyPem());
    }

    /// <summary>Pairs a certificate issued for this key with the private key, ready for <see cref="System.Net.Security.SslStream"/>.</summary>
    public X509Certificate2 WithCertificate(IssuedCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return TlsCertificates.FromPem(certificate.ToPem(), ExportPrivateKeyPem());
    }

    /// <summary>Releases the key.</summary>
    public void Dispose() => _key.Dispose();
}
