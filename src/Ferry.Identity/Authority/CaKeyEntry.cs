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

    public CaKeyEntry WithStatus(CaKeyStatus newStatus) => new(Id, newStatus, Certificate, PrivateKey);

    public CaKeyInfo ToInfo() => new(Id, Status, Certificate);
}
