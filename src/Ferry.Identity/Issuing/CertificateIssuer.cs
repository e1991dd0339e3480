using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Ferry.Identity;

/// <summary>
/// Signs certificates with the current signing key of the store's CAs (ECDSA with SHA-256). Every certificate
/// gets a random 128-bit serial, NotBefore backdated one minute for clock skew, NotAfter never past the CA's own
/// NotAfter, BasicConstraints CA:false (critical), KeyUsage digitalSignature (critical), and an
/// AuthorityKeyIdentifier naming the signing key. Thread-safe.
/// </summary>
public sealed partial class CertificateIssuer(CertificateAuthorityStore store)
{
    private static readonly byte[] LeafConstraints = CertificateWriter.Extension("2.5.29.19", true, w => w.PushSequence().Dispose());
    private static readonly byte[] SignatureUsage = KeyUsage(X509KeyUsageBits.DigitalSignature);
    private static readonly byte[] RsaUsage = KeyUsage(X509KeyUsageBits.DigitalSignature | X509KeyUsageBits.KeyEncipherment);
    private static readonly byte[] ClientUsage = ExtendedKeyUsage(IdentityOids.ClientAuth);
    private static readonly byte[] ServerUsage = ExtendedKeyUsage(IdentityOids.ServerAuth);
    private static readonly byte[] HostUsage = ExtendedKeyUsage(IdentityOids.ServerAuth, IdentityOids.ClientAuth);

    private readonly CertificateAuthorityStore _store = store ?? throw new ArgumentNullException(nameof(store));

    [Flags]
    private enum X509KeyUsageBits
    {
        DigitalSignature = 1 << 0,
        KeyEncipherment = 1 << 2,
    }

    private IssuedCertificate Sign(CaKind kind, byte[] subject, ClientPublicKey key, TimeSpan ttl, params ReadOnlySpan<byte[]> extensions)
    {
        if (ttl <= TimeSpan.Zero)
        {
            throw new InvalidCertificateRequestException("certificate lifetime must be positive");
        }

        var signer = _store.Ring(kind).Signing;
        var now = CertificateWriter.WholeSeconds(_store.TimeProvider.GetUtcNow());
        var notBefore = now - IdentityLimits.ClockSkewBackdate;
        var notAfter = CertificateWriter.WholeSeconds(now + ttl);
        if (notAfter > signer.NotAfter)
        {
            notAfter = signer.NotAfter;
        }

        var all = new byte[extensions.Length + 3][];
        all[0] = LeafConstraints;
        all[1] = key.IsRsa ? RsaUsage : SignatureUsage;
        extensions.CopyTo(all.AsSpan(2));
        all[^1] = signer.AuthorityKeyIdExtension;
        Span<byte> serial = stackalloc byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // positive, minimal DER, always 16 bytes
        var der = CertificateWriter.Sign(signer, serial, notBefore, notAfter, subject, key.SubjectPublicKeyInfo.Span, all);
        return new IssuedCertificate(der, Convert.ToHexStringLower(serial), notBefore, notAfter);
    }

    private static byte[] CommonNameOnly(string commonName, string what)
    {
        if (string.IsNullOrEmpty(commonName) || commonName.Length > 64 || commonName.Any(char.IsControl))
        {
            throw new InvalidCertificateRequestException($"{what} must be 1 to 64 characters without control characters");
        }

        return CertificateWriter.CommonNameSubject(commonName);
    }

    /// <summary>KeyUsage ::= BIT STRING, bit 0 = digitalSignature (most significant bit of the first byte), critical.</summary>
    private static byte[] KeyUsage(X509KeyUsageBits bits)
    {
        var value = (byte)0;
        for (var bit = 0; bit < 8; bit++)
        {
            if (((int)bits & (1 << bit)) != 0)
            {
                value |= (byte)(0x80 >> bit);
            }
        }

        var unused = System.Numerics.BitOperations.TrailingZeroCount(value);
        return CertificateWriter.Extension("2.5.29.15", true, w => w.WriteBitString([value], unused));
    }

    private static byte[] ExtendedKeyUsage(params string[] purposes) => CertificateWriter.Extension("2.5.29.37", false, w =>
    {
        using (w.PushSequence())
        {
            foreach (var purpose in purposes)
            {
                w.WriteObjectIdentifier(purpose);
            }
        }
    });
}
