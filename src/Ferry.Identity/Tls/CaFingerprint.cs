using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// CA pins: <c>sha256:</c> and the lower-case hex SHA-256 of a CA certificate's SubjectPublicKeyInfo (DER),
/// so a CA certificate re-issued for the same key keeps its pin; the same value <c>ferry login</c> shows
/// (<c>openssl x509 -in ca.pem -pubkey -noout | openssl pkey -pubin -outform der | sha256sum</c>). Printed by
/// <c>ferryd admin ca export --type host --fingerprint</c>; checked by agents, proxies and clients on
/// first contact, before they trust anything the cluster says.
/// </summary>
public static class CaFingerprint
{
    public static string Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>The fingerprints of every certificate in a PEM bundle.</summary>
    public static IReadOnlyList<string> OfBundle(string pem)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPem(pem);
        return [.. bundle.Select(Of)];
    }

    /// <summary>True when <paramref name="pin"/> names one of the certificates in <paramref name="pem"/>.</summary>
    public static bool Matches(string pin, string pem)
    {
        ArgumentNullException.ThrowIfNull(pin);
        return OfBundle(pem).Contains(pin.Trim().ToLowerInvariant(), StringComparer.Ordinal);
    }
}
