using System.Buffers.Binary;
using System.Text;

namespace Ferry.Contracts;

/// <summary>
/// The header the proxy writes first on every tunnel stream it opens to an agent. It carries
/// the client's certificate (the agent verifies it again), the client address, the target
/// database service and kind-specific bytes (the cancel key, the MySQL handshake).
/// <code>
/// "FRY1" | kind(1) | total(4, big-endian, bytes that follow)
///        | addr_len(2) addr | service_len(2) service | cert_len(4) cert(DER) | extra_len(4) extra
/// </code>
/// </summary>
public sealed record StreamHeader(StreamKind Kind, string ClientAddress, string Service, byte[] ClientCertificate, byte[] Extra)
{
    public const int MaxSize = 64 * 1024;
    private static ReadOnlySpan<byte> Magic => "FRY1"u8;

    public byte[] Encode()
    {
        var addr = Encoding.UTF8.GetBytes(ClientAddress);
        var service = Encoding.UTF8.GetBytes(Service);
        var total = 2 + addr.Length + 2 + service.Length + 4 + ClientCertificate.Length + 4 + Extra.Length;
        if (total > MaxSize || addr.Length > ushort.MaxValue || service.Length > ushort.MaxValue)
        {
            throw new InvalidOperationException($"stream header of {total} bytes exceeds {MaxSize}");
        }
        var buffer = new byte[4 + 1 + 4 + total];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        span[4] = (byte)Kind;
        BinaryPrimitives.WriteInt32BigEndian(span[5..], total);
        var p = 9;
        BinaryPrimitives.WriteUInt16BigEndian(span[p..], (ushort)addr.Length);
        addr.CopyTo(span[(p + 2)..]);
        p += 2 + addr.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[p..], (ushort)service.Length);
        service.CopyTo(span[(p + 2)..]);
        p += 2 + service.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[p..], ClientCertificate.Length);
        ClientCertificate.CopyTo(span[(p + 4)..]);
        p += 4 + ClientCertificate.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[p..], Extra.Length);
        Extra.CopyTo(span[(p + 4)..]);
        return buffer;
    }

    /// <summary>Reads a header from the start of a stream; throws <see cref="InvalidDataException"/> on anything malformed.</summary>
    public static async Task<StreamHeader> ReadAsync(Stream stream, CancellationToken ct)
    {
        var fixedPart = new byte[9];
        await stream.ReadExactlyAsync(fixedPart, ct);
        if (!fixedPart.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new InvalidDataException("stream does not start with a Ferry stream header");
        }
        var kind = (StreamKind)fixedPart[4];
        if (!Enum.IsDefined(kind))
        {
            throw new InvalidDataException($"unknown stream kind 0x{fixedPart[4]:x2}");
        }
        var total = BinaryPrimitives.ReadInt32BigEndian(fixedPart.AsSpan(5));
        if (total is < 12 or > MaxSize)
        {
            throw new InvalidDataException($"stream header length {total} is out of range");
        }
        var body = new byte[total];
        await stream.ReadExactlyAsync(body, ct);
        return Decode(kind, body);
    }

    private static StreamHeader Decode(StreamKind kind, byte[] body)
    {
        var p = 0;
        var addr = Encoding.UTF8.GetString(Take(body, ref p, ReadLength(body, ref p, 2)));
        var service = Encoding.UTF8.GetString(Take(body, ref p, ReadLength(body, ref p, 2)));
        var cert = Take(body, ref p, ReadLength(body, ref p, 4)).ToArray();
        var extra = Take(body, ref p, ReadLength(body, ref p, 4)).ToArray();
        return p != body.Length
            ? throw new InvalidDataException("trailing bytes in stream header")
            : new StreamHeader(kind, addr, service, cert, extra);
    }

    private static int ReadLength(byte[] body, ref int p, int width)
    {
        var span = Take(body, ref p, width);
        var len = width == 2 ? BinaryPrimitives.ReadUInt16BigEndian(span) : BinaryPrimitives.ReadInt32BigEndian(span);
        return len < 0 ? throw new InvalidDataException("negative length in stream header") : len;
    }

    private static ReadOnlySpan<byte> Take(byte[] body, ref int p, int n)
    {
        if (n > body.Length - p)
        {
            throw new InvalidDataException("truncated stream header");
        }
        var span = body.AsSpan(p, n);
        p += n;
        return span;
    }
}
