using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// A public key sent by a client to be certified: from a SubjectPublicKeyInfo (DER or PEM "PUBLIC KEY")
/// or from a PKCS#10 CSR whose signature is verified (proof of possession). The subject and extensions
/// of a CSR are ignored: the server decides what a certificate says. Accepted keys: ECDSA P-256/P-384, RSA ≥ 2048 bits.
/// </summary>
public sealed class ClientPublicKey
{
    private const string EcOid = "1.2.840.10045.2.1";
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string P384Oid = "1.3.132.0.34";

    private ClientPublicKey(byte[] spki, bool isRsa)
    {
        SubjectPublicKeyInfo = spki;
        IsRsa = isRsa;
    }

    /// <summary>The validated key as DER SubjectPublicKeyInfo.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>Whether the key is RSA (otherwise ECDSA).</summary>
    public bool IsRsa { get; }

    /// <summary>
    /// Reads a DER SubjectPublicKeyInfo. EC keys are checked structurally (named curve P-256/P-384, uncompressed
    /// point of the right length) without importing them; a key that is not on the curve would only make the
    /// certificate useless to its owner. CSRs get the full check through their signature.
    /// </summary>
    /// <exception cref="InvalidCertificateRequestException">Not a single well-formed, accepted public key.</exception>
    public static ClientPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        try
        {
            var outer = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            var encoded = outer.PeekEncodedValue();
            var info = outer.ReadSequence();
            if (outer.HasData)
            {
                throw new InvalidCertificateRequestException("public key has trailing data: send exactly one DER SubjectPublicKeyInfo");
            }

            var algorithm = info.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            switch (oid)
            {
                case EcOid:
                    var curve = algorithm.ReadObjectIdentifier();
                    algorithm.ThrowIfNotEmpty();
                    if (!info.TryReadPrimitiveBitString(out var unused, out var point) || unused != 0)
                    {
                        throw new AsnContentException();
                    }

                    info.ThrowIfNotEmpty();
                    var expected = curve switch
                    {
                        P256Oid => 65,
                        P384Oid => 97,
                        _ => throw new InvalidCertificateRequestException("EC public key must be on curve P-256 or P-384: generate a P-256 key"),
                    };
                    if (point.Length != expected || point.Span[0] != 0x04)
                    {
                        throw new InvalidCertificateRequestException("EC public key must be an uncompressed point of the curve's size: generate a new P-256 key");
                    }

                    return new ClientPublicKey(encoded.ToArray(), isRsa: false);
                case RsaOid:
                    using (var rsa = RSA.Create())
                    {
                        rsa.ImportSubjectPublicKeyInfo(encoded.Span, out _);
                        if (rsa.KeySize < 2048)
                        {
                            throw new InvalidCertificateRequestException("RSA public key must be at least 2048 bits: generate an ECDSA P-256 key");
                        }
                    }

                    return new ClientPublicKey(encoded.ToArray(), isRsa: true);
                default:
                    throw new InvalidCertificateRequestException($"public key algorithm {oid} is not accepted: generate an ECDSA P-256 key");
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw new InvalidCertificateRequestException("public key is not a valid SubjectPublicKeyInfo: send the key made by `ferry login`", e);
        }
    }

    /// <summary>Reads a PEM "PUBLIC KEY" block.</summary>
    /// <exception cref="InvalidCertificateRequestException">No valid block or key.</exception>
    public static ClientPublicKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        return FromSubjectPublicKeyInfo(PemBlock(pem, "PUBLIC KEY"));
    }

    /// <summary>Reads a DER PKCS#10 certificate signing request and verifies its signature.</summary>
    /// <exception cref="InvalidCertificateRequestException">Malformed CSR, bad signature or refused key.</exception>
    public static ClientPublicKey FromCertificateSigningRequest(ReadOnlySpan<byte> pkcs10)
    {
        try
        {
            var request = CertificateRequest.LoadSigningRequest(pkcs10, HashAlgorithmName.SHA256, out var read, CertificateRequestLoadOptions.Default);
            if (read != pkcs10.Length)
            {
                throw new InvalidCertificateRequestException("certificate signing request has trailing data: send exactly one DER PKCS#10 request");
            }

            return FromSubjectPublicKeyInfo(request.PublicKey.ExportSubjectPublicKeyInfo());
        }
        catch (CryptographicException e)
        {
            throw new InvalidCertificateRequestException(
                "certificate signing request is malformed or its signature does not verify: create a new one with `ferry login`", e);
        }
    }

    /// <summary>Reads a PEM "CERTIFICATE REQUEST" block and verifies its signature.</summary>
    /// <exception cref="InvalidCertificateRequestException">Malformed CSR, bad signature or refused key.</exception>
    public static ClientPublicKey FromCertificateSigningRequestPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        return FromCertificateSigningRequest(PemBlock(pem, "CERTIFICATE REQUEST"));
    }

    private static byte[] PemBlock(string pem, string label)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || !pem.AsSpan(fields.Label).SequenceEqual(label))
        {
            throw new InvalidCertificateRequestException($"expected a PEM \"{label}\" block: send the file made by `ferry login`");
        }

        var data = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(pem.AsSpan(fields.Base64Data), data, out var written))
        {
            throw new InvalidCertificateRequestException($"PEM \"{label}\" block is not valid base64");
        }

        return data.AsSpan(0, written).ToArray();
    }
}
