using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Contracts.Tests.Tunnel;

public sealed class ProxyProtocolHeaderTests
{
    private static readonly X509Certificate2 Signer = SelfSigned();

    [Theory]
    [InlineData("203.0.113.7", "10.0.0.1")]
    [InlineData("2001:db8::7", "2001:db8::1")]
    [InlineData("::ffff:203.0.113.7", "10.0.0.1")]
    public void RoundTrip_KeepsAddressesAndVerifies(string source, string destination)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var bytes = ProxyProtocolHeader.Create(new IPEndPoint(IPAddress.Parse(source), 40000), new IPEndPoint(IPAddress.Parse(destination), 3080), Signer, now);
        var trailing = bytes.Concat("\x16\x03\x01"u8.ToArray()).ToArray();

        Assert.Equal(OperationStatus.Done, ProxyProtocolHeader.TryRead(new ReadOnlySequence<byte>(trailing), out var header, out var consumed, out _));

        Assert.Equal(bytes.Length, consumed);
        var expected = IPAddress.Parse(source);
        Assert.Equal(expected.IsIPv4MappedToIPv6 ? expected.MapToIPv4() : expected, header!.Source.Address);
        Assert.Equal(40000, header.Source.Port);
        Assert.Equal(3080, header.Destination.Port);
        Assert.Equal(now, header.Timestamp);
        Assert.Equal(Signer.RawData, header.Certificate);
        Assert.True(header.VerifySignature(Signer));
    }

    [Fact]
    public void EveryTruncatedPrefix_NeedsMoreData_AndOneByteSegmentsParse()
    {
        var bytes = ProxyProtocolHeader.Create(new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), Signer, DateTimeOffset.UtcNow);
        for (var i = 0; i < bytes.Length; i++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, ProxyProtocolHeader.TryRead(new ReadOnlySequence<byte>(bytes, 0, i), out _, out var consumed, out _));
            Assert.Equal(0, consumed);
        }

        Assert.Equal(OperationStatus.Done, ProxyProtocolHeader.TryRead(OneBytePerSegment(bytes), out var header, out _, out _));
        Assert.True(header!.VerifySignature(Signer));
    }

    [Fact]
    public void AnyChangedByte_FailsToParseOrToVerify()
    {
        var bytes = ProxyProtocolHeader.Create(new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), Signer, DateTimeOffset.UtcNow);
        for (var i = 0; i < bytes.Length; i++)
        {
            var changed = (byte[])bytes.Clone();
            changed[i] ^= 0x40;
            var status = ProxyProtocolHeader.TryRead(new ReadOnlySequence<byte>(changed), out var header, out _, out _);
            Assert.False(status == OperationStatus.Done && header!.VerifySignature(Signer), $"byte {i}");
        }
    }

    [Fact]
    public void TlsAndOversizedOrForeignHeaders_AreInvalid()
    {
        Assert.False(ProxyProtocolHeader.StartsHeader(0x16));
        Assert.Equal(OperationStatus.InvalidData, ProxyProtocolHeader.TryRead(new ReadOnlySequence<byte>("\x16\x03\x01\x02\x00"u8.ToArray()), out _, out _, out _));
        var huge = new byte[16];
        "\r\n\r\n\0\r\nQUIT\n"u8.CopyTo(huge);
        huge[12] = 0x21;
        huge[13] = 0x11;
        huge[14] = 0xFF;
        huge[15] = 0xFF;
        Assert.Equal(OperationStatus.InvalidData, ProxyProtocolHeader.TryRead(new ReadOnlySequence<byte>(huge), out _, out _, out var error));
        Assert.Contains("exceeds", error, StringComparison.Ordinal);
        // A plain PROXY v2 header without Ferry's signed TLV (as HAProxy would send) is refused.
        var plain = new byte[16 + 12];
        huge.AsSpan(0, 14).CopyTo(plain);
        plain[15] = 12;
        Assert.Equal(OperationStatus.InvalidData, ProxyProtocolHeader.TryRead(new ReadOnlySequence<byte>(plain), out _, out _, out _));
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=proxy-1", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
