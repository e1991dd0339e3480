using System.Buffers.Binary;
using System.Text;

namespace Ferry.Proxy;

/// <summary>
/// Reads the ALPN protocols and SNI of a TLS ClientHello from peeked bytes, without consuming
/// them, so port 3080 can route a connection before deciding who terminates its TLS.
/// <code>
/// record:    type(1)=0x16 | version(2) | length(2) | handshake…
/// handshake: type(1)=0x01 | length(3) | client_version(2) | random(32)
///            | session_id(1+n) | cipher_suites(2+n) | compression(1+n) | extensions(2+n)
/// extension: type(2) | length(2) | data   (ALPN = 16, SNI = 0)
/// </code>
/// </summary>
public static class TlsClientHello
{
    public const int MaxRecord = 16 * 1024 + 5;

    /// <summary>TLS record content type of a handshake record: the first byte of every TLS connection.</summary>
    public const byte ContentTypeHandshake = 0x16;

    private const byte HandshakeTypeClientHello = 0x01;
    private const int ExtensionServerName = 0;
    private const int ExtensionAlpn = 16;

    public enum Result
    {
        NeedMore,
        Parsed,
        NotClientHello,
    }

    public static Result TryParse(ReadOnlySpan<byte> data, out string[] alpn, out string? serverName)
    {
        alpn = [];
        serverName = null;
        if (data.Length < 5)
        {
            return Result.NeedMore;
        }
        if (data[0] != ContentTypeHandshake || data[1] != 0x03)
        {
            return Result.NotClientHello;
        }
        int recordLength = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        if (recordLength > MaxRecord - 5 || recordLength < 4)
        {
            return Result.NotClientHello;
        }
        if (data.Length < 5 + recordLength)
        {
            return Result.NeedMore;
        }
        var hs = data.Slice(5, recordLength);
        if (hs[0] != HandshakeTypeClientHello)
        {
            return Result.NotClientHello;
        }
        var hsLength = (hs[1] << 16) | (hs[2] << 8) | hs[3];
        // A ClientHello larger than one record (rare: huge post-quantum key shares) is routed
        // by what the first record holds; ALPN is usually early enough.
        var body = hs[4..];
        if (hsLength < body.Length)
        {
            body = body[..hsLength];
        }
        // client_version(2) random(32), then session_id, cipher_suites and compression_methods.
        if (!Skip(ref body, 2 + 32) || !SkipVector(ref body, 1) || !SkipVector(ref body, 2) || !SkipVector(ref body, 1))
        {
            return Result.NotClientHello;
        }
        if (body.Length < 2)
        {
            return Result.Parsed; // no extensions
        }
        int extLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        var ext = body.Slice(2, Math.Min(extLength, body.Length - 2));
        var protocols = new List<string>();
        while (ext.Length >= 4)
        {
            int type = BinaryPrimitives.ReadUInt16BigEndian(ext);
            int len = BinaryPrimitives.ReadUInt16BigEndian(ext[2..]);
            if (4 + len > ext.Length)
            {
                break;
            }
            var value = ext.Slice(4, len);
            if (type == ExtensionAlpn && value.Length >= 2)
            {
                var list = value.Slice(2, Math.Min(BinaryPrimitives.ReadUInt16BigEndian(value), value.Length - 2));
                while (list.Length > 0 && list[0] + 1 <= list.Length)
                {
                    protocols.Add(Encoding.ASCII.GetString(list.Slice(1, list[0])));
                    list = list[(1 + list[0])..];
                }
            }
            else if (type == ExtensionServerName && value.Length >= 5 && value[2] == 0)
            {
                int nameLen = BinaryPrimitives.ReadUInt16BigEndian(value[3..]);
                if (5 + nameLen <= value.Length)
                {
                    serverName = Encoding.ASCII.GetString(value.Slice(5, nameLen));
                }
            }
            ext = ext[(4 + len)..];
        }
        alpn = [.. protocols];
        return Result.Parsed;
    }

    private static bool Skip(ref ReadOnlySpan<byte> span, int count)
    {
        if (count > span.Length)
        {
            return false;
        }
        span = span[count..];
        return true;
    }

    /// <summary>Skips a vector with a <paramref name="lengthBytes"/>-byte (1 or 2) length prefix.</summary>
    private static bool SkipVector(ref ReadOnlySpan<byte> span, int lengthBytes)
    {
        if (span.Length < lengthBytes)
        {
            return false;
        }
        var length = lengthBytes == 1 ? span[0] : BinaryPrimitives.ReadUInt16BigEndian(span);
        return Skip(ref span, lengthBytes + length);
    }
}
