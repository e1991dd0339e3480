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

    private ClientPublicKey(PublicKey key) => Key = key;

    /// <summary>The validated key.</summary>
    public PublicKey Key { get; }

    /// <summary>Reads a DER SubjectPublicKeyInfo.</summary>
    /// <exception cref="InvalidCertificateRequestException">Not a single well-formed, accepted public key.</exception>
    public static ClientPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        PublicKey key;
        try
        {
            key = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out var read);
            if (read != spki.Length)
            {
                throw new InvalidCertificateRequestException("public key has trailing data: send exactly one DER SubjectPublicKeyInfo");
            }
        }
        catch (CryptographicException e)
        {
            throw new InvalidCertificateRequestException("public key is not a valid SubjectPublicKeyInfo: send the key made by `ferry login`", e);
        }

        return Validated(key);
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
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequest(pkcs10, HashAlgorithmName.SHA256, out var read, CertificateRequestLoadOptions.Default);
            if (read != pkcs10.Length)
            {
                throw new InvalidCertificateRequestException("certificate signing request has trailing data: send exactly one DER PKCS#10 request");
            }
        }
        catch (CryptographicException e)
        {
            throw new InvalidCertificateRequestException(
                "certificate signing request is malformed or its signature does not verify: create a new one with `ferry login`", e);
        }

        return Validated(request.PublicKey);
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

    private static ClientPublicKey Validated(PublicKey key)
    {
        try
        {
            switch (key.Oid.Value)
            {
                case EcOid:
                    using (var ec = key.GetECDsaPublicKey())
                    {
                        if (ec is null || (ec.KeySize != 256 && ec.KeySize != 384))
                        {
                            throw new InvalidCertificateRequestException("EC public key must be on curve P-256 or P-384: generate a P-256 key");
                        }
                    }

                    break;
                case RsaOid:
                    using (var rsa = key.GetRSAPublicKey())
                    {
                        if (rsa is null || rsa.KeySize < 2048)
                        {
                            throw new InvalidCertificateRequestException("RSA public key must be at least 2048 bits: generate an ECDSA P-256 key");
                        }
                    }

                    break;
                default:
                    throw new InvalidCertificateRequestException($"public key algorithm {key.Oid.Value} is not accepted: generate an ECDSA P-256 key");
            }
        }
        catch (CryptographicException e)
        {
            throw new InvalidCertificateRequestException("public key is invalid: generate a new ECDSA P-256 key", e);
        }

        return new ClientPublicKey(key);
    }
}
