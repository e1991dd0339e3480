using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Client;

/// <summary>
/// A CA fingerprint: <c>sha256:</c> and the lower-case hex SHA-256 of the CA certificate's SubjectPublicKeyInfo (DER),
/// so re-issuing a CA certificate for the same key keeps the pin. Parsing accepts upper case and ':' separators.
/// Shell: <c>openssl x509 -in host-ca.pem -pubkey -noout | openssl pkey -pubin -outform der | sha256sum</c>.
/// </summary>
public readonly record struct CaPin
{
    private const string Prefix = "sha256:";

    private CaPin(string hex) => Hex = hex;

    /// <summary>64 lower-case hex digits.</summary>
    public string Hex { get; }

    public override string ToString() => Prefix + Hex;

    /// <summary>The pin of <paramref name="ca"/>.</summary>
    public static CaPin Of(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return new CaPin(Convert.ToHexStringLower(SHA256.HashData(ca.PublicKey.ExportSubjectPublicKeyInfo())));
    }

    /// <summary>Parses <c>sha256:HEX</c> (64 hex digits, ':' separators allowed); false with a reason otherwise.</summary>
    public static bool TryParse(string? text, out CaPin pin, out string error)
    {
        pin = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the CA pin is empty: expected sha256:<64 hex digits>";
            return false;
        }

        var t = text.Trim();
        if (!t.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            error = $"the CA pin \"{t}\" must start with sha256:";
            return false;
        }

        var hex = t[Prefix.Length..].Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"the CA pin \"{t}\" must hold 64 hex digits after sha256: (found {hex.Length} characters)");
            return false;
        }

        pin = new CaPin(hex);
        error = "";
        return true;
    }

    /// <summary>Parses or throws <see cref="FerryClientException"/>.</summary>
    public static CaPin Parse(string text) =>
        TryParse(text, out var pin, out var error) ? pin : throw new FerryClientException(error);
}
