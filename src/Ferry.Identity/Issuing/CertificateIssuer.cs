using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// Signs certificates with the current signing key of the store's CAs. Every certificate gets a random
/// 128-bit serial, NotBefore backdated one minute for clock skew, NotAfter never past the CA's own NotAfter,
/// BasicConstraints CA:false, KeyUsage digitalSignature (critical), and an AuthorityKeyIdentifier naming the signing key.
/// Thread-safe.
/// </summary>
public sealed partial class CertificateIssuer(CertificateAuthorityStore store)
{
    private static readonly X509BasicConstraintsExtension LeafConstraints = new(false, false, 0, true);
    private static readonly X509KeyUsageExtension SignatureUsage = new(X509KeyUsageFlags.DigitalSignature, critical: true);
    private static readonly X509KeyUsageExtension RsaUsage = new(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true);
    private static readonly X509EnhancedKeyUsageExtension ClientUsage = new([new Oid(IdentityOids.ClientAuth)], critical: false);
    private static readonly X509EnhancedKeyUsageExtension ServerUsage = new([new Oid(IdentityOids.ServerAuth)], critical: false);
    private static readonly X509EnhancedKeyUsageExtension HostUsage = new([new Oid(IdentityOids.ServerAuth), new Oid(IdentityOids.ClientAuth)], critical: false);

    private readonly CertificateAuthorityStore _store = store ?? throw new ArgumentNullException(nameof(store));

    private X509Certificate2 Sign(CaKind kind, X500DistinguishedName subject, PublicKey key, TimeSpan ttl, params ReadOnlySpan<X509Extension> extensions)
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new InvalidCertificateRequestException("certificate lifetime must be positive");
        }

        var signer = _store.Ring(kind).Signing;
        var now = _store.TimeProvider.GetUtcNow();
        var notBefore = now - IdentityLimits.ClockSkewBackdate;
        var notAfter = now + ttl;
        var caNotAfter = new DateTimeOffset(signer.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > caNotAfter)
        {
            notAfter = caNotAfter;
        }

        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(LeafConstraints);
        request.CertificateExtensions.Add(key.Oid.Value == "1.2.840.113549.1.1.1" ? RsaUsage : SignatureUsage);
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(signer.SubjectKeyId));
        var generator = X509SignatureGenerator.CreateForECDsa(signer.PrivateKey);
        return request.Create(signer.Certificate.SubjectName, generator, notBefore, notAfter, NewSerial());
    }

    private static byte[] NewSerial()
    {
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // positive, minimal DER, always 16 bytes
        return serial;
    }

    private static X500DistinguishedName CommonNameOnly(string commonName, string what)
    {
        if (string.IsNullOrEmpty(commonName) || commonName.Any(char.IsControl))
        {
            throw new InvalidCertificateRequestException($"{what} must be non-empty and free of control characters");
        }

        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        return builder.Build();
    }
}
