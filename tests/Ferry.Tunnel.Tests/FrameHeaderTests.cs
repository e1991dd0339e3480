using System.Buffers;
using CsCheck;
using Ferry.Tunnel;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel.Tests;

public sealed class FrameHeaderTests
{
    // Expected bytes written by hand from spec.md: version, type, flags (2), stream id (4), length (4), big-endian.
    public static TheoryData<string> SpecFrameNames => [.. SpecFrames.Keys];

    private static Dictionary<string, (byte[] Bytes, FrameHeader Header)> SpecFrames => new()
    {
        ["Data|SYN stream 1, 5 bytes"] = ([0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05], new(FrameType.Data, FrameFlags.Syn, 1, 5)),
        ["WindowUpdate|ACK stream 2, delta 256 KiB"] = ([0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00], new(FrameType.WindowUpdate, FrameFlags.Ack, 2, 256 * 1024)),
        ["WindowUpdate|FIN stream 0x01020304"] = ([0x00, 0x01, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00], new(FrameType.WindowUpdate, FrameFlags.Fin, 0x01020304, 0)),
        ["WindowUpdate|RST stream 7"] = ([0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00], FrameHeader.Reset(7)),
        ["Ping|SYN opaque 0xDEADBEEF"] = ([0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF], FrameHeader.PingRequest(0xDEADBEEF)),
        ["Ping|ACK opaque 42"] = ([0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A], FrameHeader.PingResponse(42)),
        ["GoAway protocol error"] = ([0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01], FrameHeader.GoAway(GoAwayCode.ProtocolError)),
        ["Data|SYN|ACK|FIN|RST max id and length"] = ([0x00, 0x00, 0x00, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], new(FrameType.Data, FrameFlags.Syn | FrameFlags.Ack | FrameFlags.Fin | FrameFlags.Rst, uint.MaxValue, uint.MaxValue)),
    };

    [Theory]
    [MemberData(nameof(SpecFrameNames))]
    public void WriteTo_SpecFrame_ProducesHandWrittenBytes(string name)
    {
        (byte[] expected, FrameHeader header) = SpecFrames[name];
        byte[] written = new byte[FrameHeader.Size];
        header.WriteTo(written);
        Assert.True(expected.AsSpan().SequenceEqual(written), name);
    }

    [Theory]
    [MemberData(nameof(SpecFrameNames))]
    public void TryRead_SplitAtEveryOffset_GivesSameHeader(string name)
    {
        (byte[] encoded, FrameHeader expected) = SpecFrames[name];
        for (int split = 0; split <= encoded.Length; split++)
        {
            ReadOnlySequence<byte> sequence = Segments.Of(encoded[..split], encoded[split..]);
            var reader = new SequenceReader<byte>(sequence);
            Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(ref reader, out FrameHeader header));
            Assert.Equal(expected, header);
            Assert.Equal(FrameHeader.Size, reader.Consumed);
        }

        var oneByteEach = new SequenceReader<byte>(Segments.OneBytePerSegment(encoded));
        Assert.Equal(OperationStatus.Done, FrameHeader.TryRead(ref oneByteEach, out FrameHeader single));
        Assert.True(expected == single, name);
    }

    [Theory]
    [MemberData(nameof(SpecFrameNames))]
    public void TryRead_EveryTruncatedPrefix_NeedsMoreDataAndConsumesNothing(string name)
    {
        byte[] encoded = SpecFrames[name].Bytes;
        for (int length = 0; length < encoded.Length; length++)
        {
            var reader = new SequenceReader<byte>(Segments.OneBytePerSegment(encoded[..length]));
            Assert.Equal(OperationStatus.NeedMoreData, FrameHeader.TryRead(ref reader, out _));
            Assert.True(reader.Consumed == 0, name);
        }
    }

    [Fact]
    public void Parse_NonZeroVersion_IsAProtocolError()
    {
        byte[] frame = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00];
        var error = Assert.Throws<MuxProtocolException>(() => FrameHeader.Parse(frame));
        Assert.Contains("version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownType_IsAProtocolError()
    {
        byte[] frame = [0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00];
        Assert.Throws<MuxProtocolException>(() => FrameHeader.Parse(frame));
    }

    [Fact]
    public void WriteThenRead_AnyHeader_RoundTrips()
    {
        Gen.Select(Gen.Byte[0, 3], Gen.UShort, Gen.UInt, Gen.UInt)
            .Sample((type, flags, id, length) =>
            {
                var header = new FrameHeader((FrameType)type, (FrameFlags)flags, id, length);
                byte[] bytes = new byte[FrameHeader.Size];
                header.WriteTo(bytes);
                return FrameHeader.Parse(bytes) == header;
            });
    }
}
