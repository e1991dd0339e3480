using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>One CA key held in memory: the public certificate and the private signing key.</summary>
internal sealed class CaKeyEntry(string id, CaKeyStatus status, X509Certificate2 certificate, ECDsa privateKey)
{
    public string Id { get; } = id;
    public CaKeyStatus Status { get; } = status;
    public X509Certificate2 Certificate { get; } = certificate;
    public ECDsa PrivateKey { get; } = privateKey;
    public byte[] SubjectKeyId { get; } = Convert.FromHexString(id);

    /// <summary>DER of the CA's subject name: the issuer of what it signs.</summary>
    public byte[] SubjectDer { get; } = certificate.SubjectName.RawData;

    /// <summary>The DER AuthorityKeyIdentifier extension put into every certificate this key signs.</summary>
    public byte[] AuthorityKeyIdExtension { get; } = CertificateWriter.AuthorityKeyIdentifier(Convert.FromHexString(id));

    /// <summary>End of the CA certificate's validity: no certificate it signs may outlive it.</summary>
    public DateTimeOffset NotAfter { get; } = new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    public CaKeyEntry WithStatus(CaKeyStatus newStatus) => new(Id, newStatus, Certificate, PrivateKey);

    public CaKeyInfo ToInfo() => new(Id, Status, Certificate);
}
