using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// A freshly signed certificate as DER, which is what the auth service hands back to clients.
/// Turning it into an <see cref="X509Certificate2"/> costs more than signing it, so that is only done on request.
/// </summary>
public sealed class IssuedCertificate
{
    internal IssuedCertificate(byte[] der, string serialNumber, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        Der = der;
        SerialNumber = serialNumber;
        NotBefore = notBefore;
        NotAfter = notAfter;
    }

    /// <summary>The DER-encoded certificate.</summary>
    public ReadOnlyMemory<byte> Der { get; }

    /// <summary>Serial number in lower-case hex (for audit).</summary>
    public string SerialNumber { get; }

    /// <summary>Start of validity (one minute before issue).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>End of validity.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The certificate as PEM ("CERTIFICATE").</summary>
    public string ToPem() => PemEncoding.WriteString("CERTIFICATE", Der.Span);

    /// <summary>The certificate as a (public-only) <see cref="X509Certificate2"/>.</summary>
    public X509Certificate2 ToX509Certificate2() => X509CertificateLoader.LoadCertificate(Der.Span);
}
