using System.Buffers;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.MySql;

public sealed class MyFramingTests
{
    [Fact]
    public void Packet_DeclaringMoreThanThePreAuthLimit_IsRejectedFromTheHeaderAlone()
    {
        byte[] header = [0xFF, 0xFF, 0xFF, 1];
        var ex = Assert.Throws<MySqlProtocolException>(() => ReadMessage(header, MySqlLimits.MaxPreAuthPayloadLength));
        Assert.Equal(MySqlProtocolException.PacketTooLarge, ex.ErrorCode);
    }

    [Fact]
    public void ContinuationChain_OverTheLimit_IsRejectedBeforeTheSecondBodyArrives()
    {
        // A full 16 MiB packet is present; the next header pushes the total over a 20 MiB limit.
        byte[] data = new byte[4 + MySqlLimits.MaxPacketPayload + 4];
        data[0] = data[1] = data[2] = 0xFF;
        int second = 4 + MySqlLimits.MaxPacketPayload;
        data[second] = 0x00; data[second + 1] = 0x00; data[second + 2] = 0x50; data[second + 3] = 1; // 5 MiB more
        Assert.Throws<MySqlProtocolException>(() => ReadMessage(data, 20 * 1024 * 1024));
    }

    [Fact]
    public void ContinuationChain_WithWrongSequenceId_IsMalformed()
    {
        byte[] data = new byte[4 + MySqlLimits.MaxPacketPayload + 4];
        data[0] = data[1] = data[2] = 0xFF;
        data[3] = 0;
        data[4 + MySqlLimits.MaxPacketPayload + 3] = 5;
        var ex = Assert.Throws<MySqlProtocolException>(() => ReadMessage(data, int.MaxValue));
        Assert.Equal(MySqlProtocolException.MalformedPacket, ex.ErrorCode);
    }

    [Theory]
    [InlineData(MySqlLimits.MaxPacketPayload - 1)] // code byte + text = exactly 0xFFFFFF: an empty packet must follow
    [InlineData(MySqlLimits.MaxPacketPayload + 100)]
    public void LargeQuery_IsSplitIntoContinuationPackets_AndReassembled(int textLength)
    {
        byte[] text = new byte[textLength];
        for (int i = 0; i < text.Length; i++)
        {
            text[i] = (byte)('a' + (i % 26));
        }

        byte[] bytes = Text.Write(w => ComQuery.Write(w, text));
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(OperationStatus.Done, MySqlPacketReader.TryReadMessage(ref reader, 64 * 1024 * 1024, out MySqlMessage message));
        Assert.True(reader.End);
        Assert.Equal(2, message.PacketCount);
        Assert.Equal(1, message.LastSequenceId);
        Assert.Equal(textLength + 1, message.PayloadLength);
        Assert.False(message.TryGetPayload(out _));
        var payload = new ArrayBufferWriter<byte>();
        message.CopyPayloadTo(payload);
        Assert.True(ComQuery.Read(new ReadOnlySequence<byte>(payload.WrittenMemory)).Text.ToArray().AsSpan().SequenceEqual(text));

        // Truncated anywhere (inside the first body, the second header, the second body): need more, nothing consumed.
        foreach (int cut in new[] { 3, 4, 1000, MySqlLimits.MaxPacketPayload + 4, MySqlLimits.MaxPacketPayload + 6, bytes.Length - 1 })
        {
            var partial = new SequenceReader<byte>(Sequences.Split(bytes.AsSpan(0, cut), cut / 2));
            Assert.Equal(OperationStatus.NeedMoreData, MySqlPacketReader.TryReadMessage(ref partial, int.MaxValue, out _));
            Assert.Equal(0, partial.Consumed);
        }

        // Split at a few awkward offsets: across the second header.
        foreach (int split in new[] { 2, MySqlLimits.MaxPacketPayload + 5, bytes.Length - 2 })
        {
            var split2 = new SequenceReader<byte>(Sequences.Split(bytes, split));
            Assert.Equal(OperationStatus.Done, MySqlPacketReader.TryReadMessage(ref split2, int.MaxValue, out MySqlMessage m2));
            Assert.Equal(message.PayloadLength, m2.PayloadLength);
        }
    }

    public static TheoryData<string, char, byte[]> Malformed => new()
    {
        { "query attributes count without body", 'Q', [0x03, 0x05] },
        { "handshake protocol 9", 'H', [9, 0] },
        { "handshake without version terminator", 'H', [10, (byte)'8', (byte)'.', (byte)'0'] },
        { "response without user terminator", 'R', [.. new byte[] { 0x00, 0x82, 0x00, 0x00 }, .. new byte[28], (byte)'a'] },
        { "response with auth longer than packet", 'R', [.. new byte[] { 0x00, 0x82, 0x00, 0x00 }, .. new byte[28], (byte)'a', 0, 20, 1, 2] },
        { "attributes shorter than declared", 'R', [.. new byte[] { 0x00, 0x82, 0x10, 0x00 }, .. new byte[28], (byte)'a', 0, 0, 10, 3, (byte)'k', (byte)'e', (byte)'y'] },
        { "ok with invalid lenenc 0xff", 'O', [0x00, 0xFF] },
        { "prepare ok truncated", 'P', [0x00, 1, 0, 0] },
        { "execute types truncated", 'X', [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3] },
        { "execute value missing", 'X', [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 0] },
        { "execute bound flag 2", 'X', [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2] },
        { "execute never bound", 'X', [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0] },
        { "execute trailing bytes", 'X', [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 3, 0, 9] },
        { "execute datetime of 5 bytes", 'X', [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 12, 0, 5, 1, 2, 3, 4, 5] },
        { "close truncated", 'C', [0x19, 1, 0] },
        { "ping with body", 'C', [0x0E, 1] },
        { "change user without schema terminator", 'U', [0x11, (byte)'u', 0, 0, (byte)'d'] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedPayload_ThrowsErMalformedPacket(string name, char kind, byte[] payload)
    {
        var seq = new ReadOnlySequence<byte>(payload);
        var ex = Assert.Throws<MySqlProtocolException>(() =>
        {
            switch (kind)
            {
                case 'Q': ComQuery.Read(seq, MySqlCapabilities.QueryAttributes); break;
                case 'H': HandshakeV10.Read(seq); break;
                case 'R': HandshakeResponse41.Read(seq); break;
                case 'O': OkPacket.Read(seq, MyProject.Modern); break;
                case 'P': StmtPrepareOk.Read(seq); break;
                case 'X': ComStmtExecute.Read(seq, 1, [], MySqlCapabilities.None); break;
                case 'U': ComChangeUser.Read(seq, MyProject.Modern); break;
                default: MyProject.Command(seq, MyProject.Modern, [], 0); break;
            }
        });
        Assert.Equal(MySqlProtocolException.MalformedPacket, ex.ErrorCode);
        Assert.StartsWith("Malformed communication packet", ex.Message, StringComparison.Ordinal);
        _ = name;
    }

    [Fact]
    public void ProtocolException_WritesAnErrPacketTheClientCanRead()
    {
        var ex = new MySqlProtocolException("Malformed communication packet: x.");
        byte[] bytes = Text.Write(w => ex.WriteErrPacket(w, 2, MyProject.Modern));
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        MySqlPacketReader.TryReadMessage(ref reader, 1000, out MySqlMessage message);
        Assert.Equal("#2 ERR 1835 [08S01] Malformed communication packet: x.", MyProject.Project(message, 'E', MyProject.Modern, [], 0));
    }

    [Fact]
    public void Execute_WithLongDataParameter_SkipsItsValue()
    {
        MySqlParameterType[] types = [new(MySqlColumnType.Blob, false), new(MySqlColumnType.Long, false)];
        // Parameter 0 came by COM_STMT_SEND_LONG_DATA: the packet carries only parameter 1's value.
        byte[] payload = [0x17, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 252, 0, 3, 0, 42, 0, 0, 0];
        string text = MyProject.Execute(new ReadOnlySequence<byte>(payload), default, types, 2, longData: 1);
        Assert.Equal("Execute id=3 flags=0 iter=1 n=2 bound=True [Blob:<long data>] [Long:42]", text);
    }

    [Fact]
    public void Classify_TellsOkErrEofAndDataApart()
    {
        Assert.Equal(ResponseKind.Ok, Response.Classify(new ReadOnlySequence<byte>([0, 0, 0, 2, 0, 0, 0])));
        Assert.Equal(ResponseKind.Err, Response.Classify(new ReadOnlySequence<byte>([0xFF, 1, 2])));
        Assert.Equal(ResponseKind.Eof, Response.Classify(new ReadOnlySequence<byte>([0xFE, 0, 0, 2, 0])));
        Assert.Equal(ResponseKind.Data, Response.Classify(new ReadOnlySequence<byte>([0xFE, 1, 2, 3, 4, 5, 6, 7, 8, 9])));
        Assert.Equal(ResponseKind.LocalInfile, Response.Classify(new ReadOnlySequence<byte>([0xFB, (byte)'f'])));
        Assert.Equal(ResponseKind.Data, Response.Classify(new ReadOnlySequence<byte>([3])));
    }

    private static MySqlMessage ReadMessage(byte[] data, int limit)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(data));
        MySqlPacketReader.TryReadMessage(ref reader, limit, out MySqlMessage message);
        return message;
    }
}
