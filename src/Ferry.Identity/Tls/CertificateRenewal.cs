using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// The one renewal rule for every certificate Ferry holds (host, db-client, routed user and the auth
/// service's own): renew once two thirds of its life have passed, which leaves a third of it to ride out
/// an auth service that is away.
/// </summary>
public static class CertificateRenewal
{
    /// <summary>Two thirds of the way from <paramref name="issued"/> to <paramref name="expires"/>.</summary>
    public static DateTimeOffset RenewAt(DateTimeOffset issued, DateTimeOffset expires) => issued + ((expires - issued) * 2 / 3);

    /// <summary>Two thirds of the way through the certificate's validity period.</summary>
    public static DateTimeOffset RenewAt(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return RenewAt(new DateTimeOffset(certificate.NotBefore.ToUniversalTime()), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }
}
