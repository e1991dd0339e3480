using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>One trusted CA key, prepared for fast direct signature checks.</summary>
internal sealed class TrustedCa
{
    public TrustedCa(X509Certificate2 certificate)
    {
        Certificate = certificate;
        Key = certificate.GetECDsaPublicKey()
            ?? throw new ArgumentException($"trusted root {certificate.Subject} does not hold an ECDSA key", nameof(certificate));
        Subject = certificate.SubjectName.RawData;
        var ski = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
        KeyId = ski?.SubjectKeyIdentifierBytes.ToArray();
    }

    public X509Certificate2 Certificate { get; }
    public ECDsa Key { get; }
    public byte[] Subject { get; }
    public byte[]? KeyId { get; }
}
