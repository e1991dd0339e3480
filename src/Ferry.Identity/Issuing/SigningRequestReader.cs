using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Ferry.Identity;

/// <summary>
/// Reads an ECDSA-signed PKCS#10 request and checks its signature with one key import and one verify
/// (about half the cost of <c>CertificateRequest.LoadSigningRequest</c>, which also rebuilds the request).
/// <code>
/// CertificationRequest ::= SEQUENCE {
///   certificationRequestInfo SEQUENCE { version INTEGER (0), subject Name, subjectPKInfo, attributes [0] IMPLICIT SET OF Attribute },
///   signatureAlgorithm AlgorithmIdentifier,
///   signature BIT STRING }
/// </code>
/// </summary>
internal static class SigningRequestReader
{
    /// <summary>
    /// Returns the SubjectPublicKeyInfo of a well-formed ECDSA-signed request whose signature verifies; false if the
    /// request is not ECDSA-signed (the caller falls back to the platform loader); throws if it is ECDSA-signed but
    /// malformed or its signature does not verify.
    /// </summary>
    public static bool TryReadEcdsaSigned(ReadOnlyMemory<byte> pkcs10, out byte[] subjectPublicKeyInfo)
    {
        subjectPublicKeyInfo = [];
        var outer = new AsnReader(pkcs10, AsnEncodingRules.DER);
        var request = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        var info = request.PeekEncodedValue();
        var infoReader = request.ReadSequence();
        var algorithm = request.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        HashAlgorithmName hash;
        switch (oid)
        {
            case "1.2.840.10045.4.3.2":
                hash = HashAlgorithmName.SHA256;
                break;
            case "1.2.840.10045.4.3.3":
                hash = HashAlgorithmName.SHA384;
                break;
            case "1.2.840.10045.4.3.4":
                hash = HashAlgorithmName.SHA512;
                break;
            default:
                return false;
        }

        algorithm.ThrowIfNotEmpty();
        if (!request.TryReadPrimitiveBitString(out var unused, out var signature) || unused != 0)
        {
            throw new AsnContentException("signature is not a whole-byte BIT STRING");
        }

        request.ThrowIfNotEmpty();
        if (!infoReader.TryReadInt32(out var version) || version != 0)
        {
            throw new AsnContentException("unknown PKCS#10 version");
        }

        infoReader.ReadEncodedValue(); // subject: ignored, the server decides the subject
        var spki = infoReader.ReadEncodedValue();
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki.Span, out var read);
        if (read != spki.Length || !key.VerifyData(info.Span, signature.Span, hash, DSASignatureFormat.Rfc3279DerSequence))
        {
            throw new CryptographicException("the request's signature does not verify with its key");
        }

        subjectPublicKeyInfo = spki.ToArray();
        return true;
    }
}
