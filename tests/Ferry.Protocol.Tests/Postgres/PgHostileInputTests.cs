using System.Buffers;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Postgres;

public sealed class PgHostileInputTests
{
    [Fact]
    public void Frame_DeclaringMoreThanTheLimit_IsRejectedFromTheHeaderAlone()
    {
        byte[] header = [(byte)'Q', 0x00, 0x10, 0x00, 0x00]; // 1 MiB declared, no body sent
        var ex = Assert.Throws<PostgresProtocolException>(() => ReadFrame(header, PostgresLimits.MaxPreAuthMessageLength));
        Assert.Equal("08P01", ex.SqlState);
        Assert.Contains("exceeds the limit of 10000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Frame_DeclaringMoreThanTheLimit_IsRejectedEvenWhenSplitOneBytePerSegment()
    {
        byte[] header = [(byte)'P', 0x7F, 0xFF, 0xFF, 0xFF];
        Assert.Throws<PostgresProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(Sequences.OneBytePerSegment(header));
            PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out _);
        });
    }

    [Fact]
    public void Frame_AtTheLimit_WaitsForItsBody()
    {
        byte[] header = [(byte)'Q', 0x00, 0x00, 0x27, 0x10]; // exactly 10000
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(header));
        Assert.Equal(OperationStatus.NeedMoreData, PostgresFrameReader.TryRead(ref reader, 10_000, out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void Frame_WithLengthSmallerThanItself_IsRejected(int length)
    {
        byte[] header = [(byte)'S', (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];
        var ex = Assert.Throws<PostgresProtocolException>(() => ReadFrame(header, 1000));
        Assert.Equal("08P01", ex.SqlState);
    }

    [Theory]
    [InlineData(10_001)]
    [InlineData(7)]
    [InlineData(int.MaxValue)]
    public void StartupPacket_WithBadLength_IsRejectedBeforeTheBody(int length)
    {
        byte[] header = [(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];
        var ex = Assert.Throws<PostgresProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(header));
            StartupPacketReader.TryRead(ref reader, out _);
        });
        Assert.Equal("08P01", ex.SqlState);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(257)]
    public void CancelRequest_WithKeyOutsideFourTo256Bytes_IsRejected(int keyLength)
    {
        int total = 12 + keyLength;
        byte[] packet = new byte[total];
        packet[2] = (byte)(total >> 8);
        packet[3] = (byte)total;
        packet[4] = 0x04; packet[5] = 0xd2; packet[6] = 0x16; packet[7] = 0x2e;
        Assert.Throws<PostgresProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(packet));
            StartupPacketReader.TryRead(ref reader, out _);
        });
    }

    [Fact]
    public void StartupMessage_WithProtocol2_IsRefusedAsUnsupported()
    {
        byte[] packet = [0, 0, 0, 9, 0, 2, 0, 0, 0];
        var ex = Assert.Throws<PostgresProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(packet));
            StartupPacketReader.TryRead(ref reader, out _);
        });
        Assert.Equal("0A000", ex.SqlState);
    }

    [Fact]
    public void StartupMessage_WithoutUser_IsRejectedAsPostgresDoes()
    {
        byte[] packet = Text.Write(w => StartupMessage.Write(w, 0, [new("database", "x")]));
        var ex = Assert.Throws<PostgresProtocolException>(() => StartupMessage.Read(ReadStartup(packet)));
        Assert.Equal("28000", ex.SqlState);
    }

    [Fact]
    public void StartupMessage_WithUnterminatedList_IsMalformed()
    {
        byte[] packet = Text.Write(w => StartupMessage.Write(w, 0, [new("user", "x")]));
        packet[^1] = (byte)'y'; // the list terminator replaced by a stray byte
        Assert.Throws<PostgresProtocolException>(() => StartupMessage.Read(ReadStartup(packet)));
    }

    public static TheoryData<string, byte[]> MalformedFrontend => new()
    {
        { "query without terminator", [(byte)'Q', 0, 0, 0, 7, (byte)'a', (byte)'b', (byte)'c'] },
        { "query with trailing byte", [(byte)'Q', 0, 0, 0, 7, (byte)'a', 0, (byte)'c'] },
        { "parse with too few oids", [(byte)'P', 0, 0, 0, 12, 0, (byte)'x', 0, 0, 2, 0, 0, 0, 23] },
        { "parse with negative count", [(byte)'P', 0, 0, 0, 8, 0, 0, 0xFF, 0xFF] },
        { "bind value longer than message", [(byte)'B', 0, 0, 0, 14, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 1] },
        { "bind formats disagree with values", [(byte)'B', 0, 0, 0, 16, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0] },
        { "bind value length -2", [(byte)'B', 0, 0, 0, 18, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 0] },
        { "describe unknown target", [(byte)'D', 0, 0, 0, 6, (byte)'X', 0] },
        { "execute truncated", [(byte)'E', 0, 0, 0, 6, 0, 1] },
        { "sync with body", [(byte)'S', 0, 0, 0, 5, 1] },
    };

    [Theory]
    [MemberData(nameof(MalformedFrontend))]
    public void FrontendMessage_Malformed_ThrowsProtocolViolationFitForTheClient(string name, byte[] bytes)
    {
        var ex = Assert.Throws<PostgresProtocolException>(() => PgProject.Frontend(ReadFrame(bytes, 1000)));
        Assert.Equal("08P01", ex.SqlState);
        Assert.StartsWith("invalid message format", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", ex.Message, StringComparison.Ordinal);
        _ = name;
    }

    [Fact]
    public void ProtocolException_WritesAFatalErrorResponseTheClientCanRead()
    {
        var ex = new PostgresProtocolException("invalid message format: x");
        byte[] bytes = Text.Write(ex.WriteErrorResponse);
        Assert.Equal("Error FATAL 08P01 invalid message format: x detail= hint= S V C M", PgProject.Backend(ReadFrame(bytes, 1000)));
    }

    [Fact]
    public void BackendKeyData_WithThreeByteKey_IsMalformed()
    {
        byte[] bytes = [(byte)'K', 0, 0, 0, 11, 0, 0, 0, 1, 1, 2, 3];
        Assert.Throws<PostgresProtocolException>(() => BackendKeyData.Read(ReadFrame(bytes, 1000)));
    }

    [Fact]
    public void Writer_RefusesNulInsideAProtocolString()
    {
        Assert.Throws<ArgumentException>(() => Text.Write(w => Query.Write(w, "a\0b"u8)));
    }

    internal static PostgresFrame ReadFrame(byte[] bytes, int limit)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(OperationStatus.Done, PostgresFrameReader.TryRead(ref reader, limit, out PostgresFrame frame));
        return frame;
    }

    private static StartupPacket ReadStartup(byte[] bytes)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(OperationStatus.Done, StartupPacketReader.TryRead(ref reader, out StartupPacket packet));
        return packet;
    }
}
