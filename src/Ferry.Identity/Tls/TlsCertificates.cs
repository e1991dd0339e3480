using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>Builds certificates usable by <see cref="SslStream"/> from PEM pairs.</summary>
public static class TlsCertificates
{
    /// <summary>
    /// Combines a PEM certificate and its PEM private key (PKCS#8, SEC1 or PKCS#1) into a certificate with a
    /// private key, usable as a client or server certificate. On Linux and macOS the key from
    /// <see cref="X509Certificate2.CreateFromPem(ReadOnlySpan{char}, ReadOnlySpan{char})"/> works directly with
    /// <see cref="SslStream"/>; on Windows SChannel needs a persisted key, so there it is re-imported through PKCS#12.
    /// </summary>
    public static X509Certificate2 FromPem(string certificatePem, string privateKeyPem)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        ArgumentNullException.ThrowIfNull(privateKeyPem);
        var certificate = X509Certificate2.CreateFromPem(certificatePem, privateKeyPem);
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    /// <summary>A server certificate context (built once, reused for every handshake) that sends no intermediates and never goes online.</summary>
    public static SslStreamCertificateContext CreateServerContext(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }
}
