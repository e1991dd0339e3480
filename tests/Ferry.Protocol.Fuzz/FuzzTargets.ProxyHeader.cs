using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// The signed PROXY protocol v2 header the auth service reads from every connection a proxy passes through
/// (<see cref="ProxyProtocolHeader.TryRead"/>, then <see cref="ProxyProtocolHeader.VerifySignature"/>): pre-authentication
/// input on the auth port. Rejections are <see cref="OperationStatus.InvalidData"/> with a message; an exception is a bug.
/// </summary>
internal static partial class FuzzTargets
{
    private static readonly Lazy<X509Certificate2> ProxyHeaderSigner = new(() =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fuzz-proxy", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
    });

    private static void ProxyHeader(ReadOnlySequence<byte> input)
    {
        var status = ProxyProtocolHeader.TryRead(input, out var header, out var consumed, out var error);
        switch (status)
        {
            case OperationStatus.Done:
                if (header is null || consumed <= 0 || consumed > input.Length || consumed > ProxyProtocolHeader.MaxSize)
                {
                    throw new InvalidOperationException($"Done with header {header is not null} and consumed {consumed} of {input.Length}");
                }

                _ = header.Source.Port + header.Destination.Port + header.Timestamp.Ticks + header.Nonce.Length + header.Certificate.Length;
                _ = header.VerifySignature(ProxyHeaderSigner.Value);
                // A shorter prefix of a complete header is never complete.
                if (ProxyProtocolHeader.TryRead(input.Slice(0, consumed - 1), out _, out var shorter, out _) == OperationStatus.Done)
                {
                    throw new InvalidOperationException($"a {consumed - 1}-byte prefix of a {consumed}-byte header parsed ({shorter})");
                }

                break;
            case OperationStatus.NeedMoreData:
                if (consumed != 0 || header is not null)
                {
                    throw new InvalidOperationException("NeedMoreData consumed input");
                }

                break;
            case OperationStatus.InvalidData:
                if (string.IsNullOrEmpty(error))
                {
                    throw new InvalidOperationException("InvalidData without a reason");
                }

                break;
            default:
                throw new InvalidOperationException($"unexpected status {status}");
        }
    }

    /// <summary>Writes the seeds of <c>proxy-header</c> (valid IPv4 and IPv6 headers, each followed by TLS bytes) to <paramref name="directory"/>.</summary>
    public static void WriteProxyHeaderSeeds(string directory)
    {
        Directory.CreateDirectory(directory);
        var signer = ProxyHeaderSigner.Value;
        var now = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        var v4 = ProxyProtocolHeader.Create(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51234), new IPEndPoint(IPAddress.Parse("10.0.0.1"), 3080), signer, now);
        var v6 = ProxyProtocolHeader.Create(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 51234), new IPEndPoint(IPAddress.Parse("2001:db8::1"), 3080), signer, now);
        byte[] tls = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00];
        File.WriteAllBytes(Path.Combine(directory, "v4"), v4);
        File.WriteAllBytes(Path.Combine(directory, "v6"), v6);
        File.WriteAllBytes(Path.Combine(directory, "v4-then-tls"), [.. v4, .. tls]);
        File.WriteAllBytes(Path.Combine(directory, "v6-truncated"), v6[..(v6.Length / 2)]);
        File.WriteAllBytes(Path.Combine(directory, "tls-only"), tls);
    }
}
