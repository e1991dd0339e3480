using System.Formats.Asn1;
using System.Net;

namespace Ferry.Identity;

/// <summary>
/// A strict, allocation-light reading of the X.509 fields the verifier needs, straight from DER.
/// <code>
/// Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
/// TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, issuer Name, validity, subject Name,
///                               subjectPublicKeyInfo, [1] issuerUID OPTIONAL, [2] subjectUID OPTIONAL, [3] extensions OPTIONAL }
/// </code>
/// </summary>
internal sealed class CertificateView
{
    private static readonly Asn1Tag Explicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Explicit3 = new(TagClass.ContextSpecific, 3, isConstructed: true);
    private static readonly Asn1Tag Implicit0 = new(TagClass.ContextSpecific, 0);
    private static readonly Asn1Tag DnsNameTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag IpAddressTag = new(TagClass.ContextSpecific, 7);

    public ReadOnlyMemory<byte> Tbs { get; private set; }
    public string SignatureAlgorithm { get; private set; } = "";
    public ReadOnlyMemory<byte> Signature { get; private set; }
    public ReadOnlyMemory<byte> Serial { get; private set; }
    public ReadOnlyMemory<byte> Issuer { get; private set; }
    public ReadOnlyMemory<byte> Subject { get; private set; }
    public DateTimeOffset NotBefore { get; private set; }
    public DateTimeOffset NotAfter { get; private set; }
    public ReadOnlyMemory<byte>? AuthorityKeyId { get; private set; }
    public bool IsCa { get; private set; }
    public bool HasEku { get; private set; }
    public bool ClientAuth { get; private set; }
    public bool ServerAuth { get; private set; }
    public ReadOnlyMemory<byte>? UserExtension { get; private set; }
    public ReadOnlyMemory<byte>? HostExtension { get; private set; }
    public ReadOnlyMemory<byte>? SessionLimitExtension { get; private set; }
    public ReadOnlyMemory<byte>? SubjectAltName { get; private set; }
    public string? UnknownCriticalExtension { get; private set; }

    public string SerialHex => Convert.ToHexStringLower(Serial.Span);

    public static bool TryParse(ReadOnlyMemory<byte> der, out CertificateView view)
    {
        view = new CertificateView();
        if (der.Length > IdentityLimits.MaxCertificateBytes)
        {
            return false;
        }

        try
        {
            view.Parse(der);
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private void Parse(ReadOnlyMemory<byte> der)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        var cert = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        Tbs = cert.PeekEncodedValue();
        var tbs = cert.ReadSequence();
        var outerAlgorithm = cert.ReadEncodedValue();
        var algorithm = new AsnReader(outerAlgorithm, AsnEncodingRules.DER).ReadSequence();
        SignatureAlgorithm = algorithm.ReadObjectIdentifier();
        if (!cert.TryReadPrimitiveBitString(out var unused, out var signature) || unused != 0)
        {
            throw new AsnContentException("signature is not a whole-byte BIT STRING");
        }

        Signature = signature;
        cert.ThrowIfNotEmpty();

        if (tbs.PeekTag().HasSameClassAndValue(Explicit0))
        {
            var version = tbs.ReadSequence(Explicit0);
            if (!version.TryReadInt32(out var v) || v != 2)
            {
                throw new AsnContentException("not an X.509 v3 certificate");
            }
        }

        Serial = tbs.ReadIntegerBytes();
        if (!tbs.ReadEncodedValue().Span.SequenceEqual(outerAlgorithm.Span))
        {
            throw new AsnContentException("inner and outer signature algorithms differ");
        }

        Issuer = tbs.ReadEncodedValue();
        var validity = tbs.ReadSequence();
        NotBefore = ReadTime(validity);
        NotAfter = ReadTime(validity);
        validity.ThrowIfNotEmpty();
        Subject = tbs.ReadEncodedValue();
        tbs.ReadEncodedValue(); // subjectPublicKeyInfo
        while (tbs.HasData)
        {
            var tag = tbs.PeekTag();
            if (tag.HasSameClassAndValue(Explicit3))
            {
                ParseExtensions(tbs.ReadSequence(Explicit3));
            }
            else
            {
                tbs.ReadEncodedValue(); // issuerUniqueID / subjectUniqueID
            }
        }
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    private void ParseExtensions(AsnReader wrapper)
    {
        var list = wrapper.ReadSequence();
        wrapper.ThrowIfNotEmpty();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (list.HasData)
        {
            var ext = list.ReadSequence();
            var oid = ext.ReadObjectIdentifier();
            var critical = ext.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && ext.ReadBoolean();
            if (!ext.TryReadPrimitiveOctetString(out var value))
            {
                throw new AsnContentException("extension value is not a primitive OCTET STRING");
            }

            ext.ThrowIfNotEmpty();
            if (!seen.Add(oid))
            {
                throw new AsnContentException("duplicate extension " + oid);
            }

            switch (oid)
            {
                case "2.5.29.19":
                    var bc = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
                    IsCa = bc.HasData && bc.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && bc.ReadBoolean();
                    break;
                case "2.5.29.37":
                    HasEku = true;
                    var eku = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
                    while (eku.HasData)
                    {
                        var purpose = eku.ReadObjectIdentifier();
                        ClientAuth |= purpose == IdentityOids.ClientAuth;
                        ServerAuth |= purpose == IdentityOids.ServerAuth;
                    }

                    break;
                case "2.5.29.35":
                    var aki = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
                    if (aki.HasData && aki.PeekTag().HasSameClassAndValue(Implicit0)
                        && aki.TryReadPrimitiveOctetString(out var keyId, Implicit0))
                    {
                        AuthorityKeyId = keyId;
                    }

                    break;
                case "2.5.29.17":
                    SubjectAltName = value;
                    break;
                case IdentityOids.UserIdentityExtension:
                    UserExtension = value;
                    break;
                case IdentityOids.HostIdentityExtension:
                    HostExtension = value;
                    break;
                case IdentityOids.SessionLimitExtension:
                    SessionLimitExtension = value;
                    break;
                case "2.5.29.15": // keyUsage
                case "2.5.29.14": // subjectKeyIdentifier
                    break;
                default:
                    if (critical)
                    {
                        UnknownCriticalExtension ??= oid;
                    }

                    break;
            }
        }
    }

    /// <summary>The first CN of the subject, or null.</summary>
    public string? SubjectCommonName()
    {
        var name = new AsnReader(Subject, AsnEncodingRules.DER).ReadSequence();
        while (name.HasData)
        {
            var rdn = name.ReadSetOf();
            while (rdn.HasData)
            {
                var attribute = rdn.ReadSequence();
                if (attribute.ReadObjectIdentifier() == "2.5.4.3")
                {
                    return attribute.ReadCharacterString((UniversalTagNumber)attribute.PeekTag().TagValue);
                }
            }
        }

        return null;
    }

    /// <summary>DNS names and IP addresses of the subject alternative name extension.</summary>
    public (string[] Dns, IPAddress[] Ips) AlternativeNames()
    {
        if (SubjectAltName is not { } san)
        {
            return ([], []);
        }

        var dns = new List<string>();
        var ips = new List<IPAddress>();
        var names = new AsnReader(san, AsnEncodingRules.DER).ReadSequence();
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.HasSameClassAndValue(DnsNameTag))
            {
                dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, DnsNameTag));
            }
            else if (tag.HasSameClassAndValue(IpAddressTag) && names.TryReadPrimitiveOctetString(out var ip, IpAddressTag))
            {
                ips.Add(new IPAddress(ip.Span));
            }
            else
            {
                names.ReadEncodedValue();
            }
        }

        return ([.. dns], [.. ips]);
    }
}
