using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Ferry.Identity;

/// <summary>
/// Writes and signs X.509 v3 certificates directly with <see cref="AsnWriter"/> (ECDSA with SHA-256), which is
/// several times cheaper than <c>CertificateRequest.Create</c> because nothing is parsed back.
/// <code>
/// Certificate    ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
/// TBSCertificate ::= SEQUENCE { [0] EXPLICIT version(2), serialNumber, signature, issuer, validity,
///                               subject, subjectPublicKeyInfo, [3] EXPLICIT extensions }
/// Extension      ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
/// </code>
/// </summary>
internal static class CertificateWriter
{
    private static readonly Asn1Tag Explicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Explicit3 = new(TagClass.ContextSpecific, 3, isConstructed: true);
    private static readonly Asn1Tag Implicit0 = new(TagClass.ContextSpecific, 0);

    /// <summary>AlgorithmIdentifier { ecdsa-with-SHA256 } (parameters absent, RFC 5758).</summary>
    private static readonly byte[] EcdsaWithSha256 = Encode(w =>
    {
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier("1.2.840.10045.4.3.2");
        }
    });

    public static byte[] Encode(Action<AsnWriter> write)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        write(writer);
        return writer.Encode();
    }

    /// <summary>Name ::= SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String } } }: exactly one RDN.</summary>
    public static byte[] CommonNameSubject(string commonName) => Encode(w =>
    {
        using (w.PushSequence())
        using (w.PushSetOf())
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier("2.5.4.3");
            w.WriteCharacterString(UniversalTagNumber.UTF8String, commonName);
        }
    });

    public static byte[] Extension(string oid, bool critical, ReadOnlySpan<byte> value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, initialCapacity: value.Length + 32);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            if (critical)
            {
                writer.WriteBoolean(true);
            }

            writer.WriteOctetString(value);
        }

        return writer.Encode();
    }

    public static byte[] Extension(string oid, bool critical, Action<AsnWriter> value) => Extension(oid, critical, Encode(value));

    /// <summary>AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }.</summary>
    public static byte[] AuthorityKeyIdentifier(byte[] keyId) => Extension("2.5.29.35", false, w =>
    {
        using (w.PushSequence())
        {
            w.WriteOctetString(keyId, Implicit0);
        }
    });

    /// <summary>Truncates to whole seconds, as the certificate stores them.</summary>
    public static DateTimeOffset WholeSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    public static byte[] Sign(CaKeyEntry signer, ReadOnlySpan<byte> serial, DateTimeOffset notBefore, DateTimeOffset notAfter,
        ReadOnlySpan<byte> subject, ReadOnlySpan<byte> subjectPublicKeyInfo, ReadOnlySpan<byte[]> extensions)
    {
        var tbs = new AsnWriter(AsnEncodingRules.DER, initialCapacity: 1024);
        using (tbs.PushSequence())
        {
            using (tbs.PushSequence(Explicit0))
            {
                tbs.WriteInteger(2);
            }

            tbs.WriteInteger(serial);
            tbs.WriteEncodedValue(EcdsaWithSha256);
            tbs.WriteEncodedValue(signer.SubjectDer);
            using (tbs.PushSequence())
            {
                WriteTime(tbs, notBefore);
                WriteTime(tbs, notAfter);
            }

            tbs.WriteEncodedValue(subject);
            tbs.WriteEncodedValue(subjectPublicKeyInfo);
            using (tbs.PushSequence(Explicit3))
            using (tbs.PushSequence())
            {
                foreach (var extension in extensions)
                {
                    tbs.WriteEncodedValue(extension);
                }
            }
        }

        var toBeSigned = tbs.Encode();
        var signature = signer.PrivateKey.SignData(toBeSigned, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var certificate = new AsnWriter(AsnEncodingRules.DER, initialCapacity: toBeSigned.Length + signature.Length + 32);
        using (certificate.PushSequence())
        {
            certificate.WriteEncodedValue(toBeSigned);
            certificate.WriteEncodedValue(EcdsaWithSha256);
            certificate.WriteBitString(signature);
        }

        return certificate.Encode();
    }

    /// <summary>RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu.</summary>
    private static void WriteTime(AsnWriter writer, DateTimeOffset value)
    {
        if (value.UtcDateTime.Year < 2050)
        {
            writer.WriteUtcTime(value);
        }
        else
        {
            writer.WriteGeneralizedTime(value, omitFractionalSeconds: true);
        }
    }
}
