using System.Buffers;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.MySql;

/// <summary>The packet header peek the relays use, at every split of a run of packets, and the capability peek.</summary>
public sealed class MyHeaderReaderTests
{
    [Fact]
    public void PacketHeaders_PeekedAtEveryOffsetOfEverySplit_WalkTheSamePackets()
    {
        byte[] packets = [3, 0, 0, 0, 0x03, (byte)'x', (byte)'y', 0, 0, 0, 1, 1, 0, 0, 2, 0x01];
        const string expected = "3/0 0/1 1/2";
        var sequences = new List<ReadOnlySequence<byte>> { new(packets), Sequences.OneBytePerSegment(packets) };
        for (int offset = 1; offset < packets.Length; offset++)
        {
            sequences.Add(Sequences.Split(packets, offset));
        }

        foreach (var sequence in sequences)
        {
            Assert.Equal(expected, Walk(sequence));
        }

        for (int prefix = 0; prefix < packets.Length; prefix++)
        {
            string walked = Walk(Sequences.OneBytePerSegment(packets.AsSpan(0, prefix)));
            Assert.StartsWith(walked, expected, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PacketHeader_OfAContinuedPayload_SaysSo_AndWritesBackTheSameBytes()
    {
        byte[] bytes = [0xff, 0xff, 0xff, 7];
        var header = MySqlPacketHeader.Parse(bytes);
        Assert.Equal(new MySqlPacketHeader(MySqlLimits.MaxPacketPayload, 7), header);
        Assert.True(header.IsContinued);
        Assert.Equal(MySqlLimits.MaxPacketPayload + 4, header.PacketLength);
        var written = new byte[4];
        header.WriteTo(written);
        Assert.Equal(bytes, written);
    }

    [Fact]
    public void PeekCapabilities_ReadsTheFirstFourBytes_OrAssumesProtocol41()
    {
        var w = new ArrayBufferWriter<byte>();
        SslRequest.Write(w, 1, MySqlCapabilities.Protocol41 | MySqlCapabilities.PluginAuth, 1 << 24, 45);
        var payload = w.WrittenSpan[4..].ToArray();
        var expected = MySqlCapabilities.Protocol41 | MySqlCapabilities.PluginAuth | MySqlCapabilities.Ssl;
        for (int offset = 1; offset < 6; offset++)
        {
            Assert.Equal(expected, HandshakeResponse41.PeekCapabilities(Sequences.Split(payload, offset)));
        }

        Assert.Equal(MySqlCapabilities.Protocol41, HandshakeResponse41.PeekCapabilities(new ReadOnlySequence<byte>(payload[..3])));
    }

    private static string Walk(ReadOnlySequence<byte> buffer)
    {
        var seen = new List<string>();
        long pos = 0;
        while (MySqlPacketReader.TryPeekHeader(buffer, pos, out MySqlPacketHeader header))
        {
            seen.Add($"{header.PayloadLength}/{header.SequenceId}");
            pos += header.PacketLength;
        }

        return string.Join(' ', seen);
    }
}
