using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Contracts;

/// <summary>
/// The PROXY protocol v2 header a proxy writes before the bytes of an API connection it passes through to the
/// auth service, so the auth service learns the real client address. A client cannot forge it: the header
/// carries, in a custom TLV (<c>0xE0</c>), the proxy's host certificate and an ECDSA signature by the
/// proxy's host key over the whole header, a timestamp and a random nonce. The auth service accepts it only
/// when the certificate is a valid proxy host certificate, the signature matches, the timestamp is recent and
/// the nonce was not seen before.
/// <code>
/// sig(12) = \r\n\r\n\0\r\nQUIT\n | ver_cmd(1) = 0x21 | fam(1) = 0x11 (TCP4) or 0x21 (TCP6) | len(2, big-endian)
///   | src_addr(4|16) dst_addr(4|16) src_port(2) dst_port(2)
///   | tlv: type(1) = 0xE0 | length(2)
///        | version(1) = 1 | unix_ms(8) | nonce(16) | cert_len(2) cert(DER) | sig_len(2) sig(IEEE P1363)
/// signed bytes = "ferry-proxy-v2\n" | the header from sig(12) up to and excluding sig_len
/// </code>
/// </summary>
public sealed class ProxyProtocolHeader
{
    /// <summary>Largest header accepted (addresses, certificate and signature fit easily).</summary>
    public const int MaxSize = 8 * 1024;

    /// <summary>The custom TLV type Ferry uses (PP2_TYPE_MIN_CUSTOM).</summary>
    public const byte FerryTlvType = 0xE0;

    public const int NonceSize = 16;

    private const int FixedSize = 16;

    private static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> SigningContext => "ferry-proxy-v2\n"u8;

    private ProxyProtocolHeader(IPEndPoint source, IPEndPoint destination, DateTimeOffset timestamp, byte[] nonce, byte[] certificate, byte[] signedBytes, byte[] signature)
    {
        Source = source;
        Destination = destination;
        Timestamp = timestamp;
        Nonce = nonce;
        Certificate = certificate;
        _signedBytes = signedBytes;
        _signature = signature;
    }

    private readonly byte[] _signedBytes;
    private readonly byte[] _signature;

    /// <summary>The client's address as the proxy saw it.</summary>
    public IPEndPoint Source { get; }

    /// <summary>The proxy's address the client connected to.</summary>
    public IPEndPoint Destination { get; }

    public DateTimeOffset Timestamp { get; }

    public byte[] Nonce { get; }

    /// <summary>The signing proxy's host certificate (DER).</summary>
    public byte[] Certificate { get; }

    /// <summary>True when the first byte can only start a PROXY v2 header (a TLS record starts with 0x16).</summary>
    public static bool StartsHeader(byte first) => first == Signature[0];

    /// <summary>Writes a signed header for a connection from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The certificate has no ECDSA private key.</exception>
    public static byte[] Create(IPEndPoint source, IPEndPoint destination, X509Certificate2 signer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(signer);
        using var key = signer.GetECDsaPrivateKey() ?? throw new ArgumentException("the proxy host certificate has no ECDSA private key", nameof(signer));
        var src = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
        var dst = destination.Address.IsIPv4MappedToIPv6 ? destination.Address.MapToIPv4() : destination.Address;
        var v6 = src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || dst.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (v6)
        {
            src = src.MapToIPv6();
            dst = dst.MapToIPv6();
        }

        var addrLength = v6 ? 36 : 12;
        var cert = signer.RawData;
        var sigLength = key.GetMaxSignatureSize(DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var tlvValue = 1 + 8 + NonceSize + 2 + cert.Length + 2 + sigLength;
        var length = addrLength + 3 + tlvValue;
        var buffer = new byte[FixedSize + length];
        var span = buffer.AsSpan();
        Signature.CopyTo(span);
        span[12] = 0x21; // version 2, PROXY
        span[13] = v6 ? (byte)0x21 : (byte)0x11; // TCP over IPv6 / IPv4
        BinaryPrimitives.WriteUInt16BigEndian(span[14..], (ushort)length);
        var p = FixedSize;
        src.TryWriteBytes(span[p..], out var n);
        p += n;
        dst.TryWriteBytes(span[p..], out n);
        p += n;
        BinaryPrimitives.WriteUInt16BigEndian(span[p..], (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(span[(p + 2)..], (ushort)destination.Port);
        p += 4;
        span[p] = FerryTlvType;
        BinaryPrimitives.WriteUInt16BigEndian(span[(p + 1)..], (ushort)tlvValue);
        p += 3;
        span[p++] = 1;
        BinaryPrimitives.WriteInt64BigEndian(span[p..], now.ToUnixTimeMilliseconds());
        p += 8;
        RandomNumberGenerator.Fill(span.Slice(p, NonceSize));
        p += NonceSize;
        BinaryPrimitives.WriteUInt16BigEndian(span[p..], (ushort)cert.Length);
        cert.CopyTo(span[(p + 2)..]);
        p += 2 + cert.Length;
        var signed = Signed(span[..p]);
        BinaryPrimitives.WriteUInt16BigEndian(span[p..], (ushort)sigLength);
        p += 2;
        if (!key.TrySignData(signed, span[p..], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written) || written != sigLength)
        {
            throw new CryptographicException("could not sign the PROXY protocol header");
        }

        return buffer;
    }

    /// <summary>
    /// Parses a header at the start of <paramref name="buffer"/>. <see cref="OperationStatus.NeedMoreData"/>: incomplete,
    /// nothing consumed; <see cref="OperationStatus.InvalidData"/>: not a Ferry PROXY v2 header (<paramref name="error"/> says why).
    /// The signature is not checked here: see <see cref="VerifySignature"/>.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySequence<byte> buffer, out ProxyProtocolHeader? header, out int consumed, out string? error)
    {
        header = null;
        consumed = 0;
        error = null;
        Span<byte> fixedPart = stackalloc byte[FixedSize];
        var prefix = (int)Math.Min(buffer.Length, FixedSize);
        buffer.Slice(0, prefix).CopyTo(fixedPart);
        var compared = Math.Min(prefix, Signature.Length);
        if (!fixedPart[..compared].SequenceEqual(Signature[..compared]))
        {
            error = "not a PROXY protocol v2 header";
            return OperationStatus.InvalidData;
        }

        if (prefix < FixedSize)
        {
            return OperationStatus.NeedMoreData;
        }

        if (fixedPart[12] != 0x21)
        {
            error = "PROXY protocol header is not version 2 with the PROXY command";
            return OperationStatus.InvalidData;
        }

        var family = fixedPart[13];
        if (family is not (0x11 or 0x21))
        {
            error = "PROXY protocol header is not for TCP over IPv4 or IPv6";
            return OperationStatus.InvalidData;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
        if (FixedSize + length > MaxSize)
        {
            error = $"PROXY protocol header of {FixedSize + length} bytes exceeds {MaxSize}";
            return OperationStatus.InvalidData;
        }

        if (buffer.Length < FixedSize + length)
        {
            return OperationStatus.NeedMoreData;
        }

        var bytes = buffer.Slice(0, FixedSize + length).ToArray();
        if (!TryParse(bytes, family == 0x21, out header, out error))
        {
            return OperationStatus.InvalidData;
        }

        consumed = bytes.Length;
        return OperationStatus.Done;
    }

    /// <summary>True when the signature was made by the key of <paramref name="certificate"/> (which the caller has verified).</summary>
    public bool VerifySignature(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var key = certificate.GetECDsaPublicKey();
        return key is not null && key.VerifyData(_signedBytes, _signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static bool TryParse(byte[] bytes, bool v6, out ProxyProtocolHeader? header, out string? error)
    {
        header = null;
        var span = bytes.AsSpan();
        var addrLength = v6 ? 36 : 12;
        var ipLength = v6 ? 16 : 4;
        if (bytes.Length < FixedSize + addrLength)
        {
            error = "PROXY protocol header too short for its addresses";
            return false;
        }

        var p = FixedSize;
        var src = new IPAddress(span.Slice(p, ipLength));
        var dst = new IPAddress(span.Slice(p + ipLength, ipLength));
        p += 2 * ipLength;
        var srcPort = BinaryPrimitives.ReadUInt16BigEndian(span[p..]);
        var dstPort = BinaryPrimitives.ReadUInt16BigEndian(span[(p + 2)..]);
        p += 4;
        // Exactly one TLV: Ferry's, to the end of the header.
        if (bytes.Length - p < 3 || span[p] != FerryTlvType || BinaryPrimitives.ReadUInt16BigEndian(span[(p + 1)..]) != bytes.Length - p - 3)
        {
            error = "PROXY protocol header does not end with Ferry's signed TLV";
            return false;
        }

        p += 3;
        if (bytes.Length - p < 1 + 8 + NonceSize + 2 || span[p] != 1)
        {
            error = "Ferry TLV has an unknown version or is truncated";
            return false;
        }

        p++;
        var unixMs = BinaryPrimitives.ReadInt64BigEndian(span[p..]);
        p += 8;
        var nonce = span.Slice(p, NonceSize).ToArray();
        p += NonceSize;
        int certLength = BinaryPrimitives.ReadUInt16BigEndian(span[p..]);
        p += 2;
        if (bytes.Length - p < certLength + 2)
        {
            error = "Ferry TLV certificate is truncated";
            return false;
        }

        var cert = span.Slice(p, certLength).ToArray();
        p += certLength;
        var signedEnd = p;
        int sigLength = BinaryPrimitives.ReadUInt16BigEndian(span[p..]);
        p += 2;
        if (bytes.Length - p != sigLength || sigLength == 0)
        {
            error = "Ferry TLV signature length does not match the header";
            return false;
        }

        if (unixMs < 0 || unixMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            error = "Ferry TLV timestamp is out of range";
            return false;
        }

        header = new ProxyProtocolHeader(
            new IPEndPoint(src.IsIPv4MappedToIPv6 ? src.MapToIPv4() : src, srcPort),
            new IPEndPoint(dst.IsIPv4MappedToIPv6 ? dst.MapToIPv4() : dst, dstPort),
            DateTimeOffset.FromUnixTimeMilliseconds(unixMs),
            nonce,
            cert,
            Signed(span[..signedEnd]),
            span[p..].ToArray());
        error = null;
        return true;
    }

    private static byte[] Signed(ReadOnlySpan<byte> header)
    {
        var signed = new byte[SigningContext.Length + header.Length];
        SigningContext.CopyTo(signed);
        header.CopyTo(signed.AsSpan(SigningContext.Length));
        return signed;
    }
}
