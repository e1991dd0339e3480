using System.Buffers;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Postgres;

/// <summary>
/// The header readers relays and listeners use (peek without consuming, skip, stream reads): every split,
/// one byte per segment, every truncated prefix.
/// </summary>
public sealed class PgHeaderReaderTests
{
    public static TheoryData<string, byte[], StartupPacketKind, int> StartupPackets() => new()
    {
        { "SSLRequest", EncryptionRequest.SslRequest.ToArray(), StartupPacketKind.SslRequest, 8 },
        { "GSSENCRequest", EncryptionRequest.GssEncRequest.ToArray(), StartupPacketKind.GssEncRequest, 8 },
        { "CancelRequest 3.0", Cancel(4), StartupPacketKind.CancelRequest, 16 },
        { "CancelRequest 3.2", Cancel(32), StartupPacketKind.CancelRequest, 44 },
        { "StartupMessage", Startup(), StartupPacketKind.StartupMessage, Startup().Length },
    };

    [Theory]
    [MemberData(nameof(StartupPackets))]
    public void StartupHeader_PeekedAtEverySplit_ClassifiesWithoutConsuming(string name, byte[] packet, StartupPacketKind kind, int length)
    {
        var sequences = new List<(string What, ReadOnlySequence<byte> Sequence)> { ("whole", new ReadOnlySequence<byte>(packet)), ("one byte per segment", Sequences.OneBytePerSegment(packet)) };
        for (int offset = 1; offset < packet.Length; offset++)
        {
            sequences.Add(($"split at {offset}", Sequences.Split(packet, offset)));
        }

        foreach (var (what, sequence) in sequences)
        {
            var reader = new SequenceReader<byte>(sequence);
            Assert.True(StartupPacketReader.TryPeekHeader(ref reader, out StartupPacketHeader header) == OperationStatus.Done, $"{name}, {what}");
            Assert.Equal(kind, header.Kind);
            Assert.Equal(length, header.Length);
            Assert.Equal(0, reader.Consumed);
        }

        for (int prefix = 0; prefix < StartupPacketHeader.Size; prefix++)
        {
            var reader = new SequenceReader<byte>(Sequences.OneBytePerSegment(packet.AsSpan(0, prefix)));
            Assert.Equal(OperationStatus.NeedMoreData, StartupPacketReader.TryPeekHeader(ref reader, out _));
            Assert.Equal(0, reader.Consumed);
        }
    }

    [Theory]
    [MemberData(nameof(StartupPackets))]
    public void StartupPacket_ReadAtEverySplitAndTruncated_GivesTheWholePacket(string name, byte[] packet, StartupPacketKind kind, int length)
    {
        SplitHarness.AssertEverySplit(packet, Project, $"{kind} {length} {Convert.ToHexString(packet)}");
        Assert.NotEmpty(name);

        static OperationStatus Project(ref SequenceReader<byte> reader, out string projection)
        {
            var status = StartupPacketReader.TryRead(ref reader, out StartupPacket p);
            projection = status == OperationStatus.Done ? $"{p.Kind} {p.Raw.Length} {Convert.ToHexString(p.Raw.ToArray())}" : "";
            return status;
        }
    }

    [Fact]
    public void CancelRequest_ReadAtEverySplit_GivesProcessIdAndKey()
    {
        byte[] packet = Cancel(32);
        SplitHarness.AssertEverySplit(packet, Project, $"4660 {Convert.ToHexString(Key(32))}");

        static OperationStatus Project(ref SequenceReader<byte> reader, out string projection)
        {
            var status = StartupPacketReader.TryRead(ref reader, out StartupPacket p);
            projection = "";
            if (status == OperationStatus.Done)
            {
                var request = CancelRequest.Read(p);
                projection = $"{request.ProcessId} {Convert.ToHexString(request.SecretKey.ToArray())}";
            }

            return status;
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(10_001)]
    [InlineData(-1)]
    public void StartupHeader_WithBadLength_IsRejectedFromTheFirstFourBytes(int length)
    {
        byte[] bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, length);
        Assert.Throws<PostgresProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(Sequences.OneBytePerSegment(bytes));
            StartupPacketReader.TryPeekHeader(ref reader, out _);
        });
    }

    [Fact]
    public void StartupHeader_SslRequestOfWrongLength_IsRejected()
    {
        byte[] bytes = [0, 0, 0, 12, 0x04, 0xd2, 0x16, 0x2f, 0, 0, 0, 0];
        var ex = Assert.Throws<PostgresProtocolException>(() => StartupPacketHeader.Parse(bytes));
        Assert.Contains("invalid length of startup packet: 12", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FrameHeader_PeekedAtEverySplit_GivesCodeAndLengthWithoutConsuming()
    {
        byte[] frame = [(byte)'Z', 0, 0, 0, 5, (byte)'I'];
        for (int offset = 1; offset < frame.Length; offset++)
        {
            foreach (var sequence in new[] { Sequences.Split(frame, offset), Sequences.OneBytePerSegment(frame) })
            {
                var reader = new SequenceReader<byte>(sequence);
                Assert.Equal(OperationStatus.Done, PostgresFrameReader.TryPeekHeader(ref reader, 10, out PostgresFrameHeader header));
                Assert.Equal(new PostgresFrameHeader((byte)BackendMessageCode.ReadyForQuery, 5), header);
                Assert.Equal(1, header.PayloadLength);
                Assert.Equal(6, header.FrameLength);
                Assert.Equal(0, reader.Consumed);
            }
        }

        for (int prefix = 0; prefix < PostgresFrameHeader.Size; prefix++)
        {
            var reader = new SequenceReader<byte>(Sequences.OneBytePerSegment(frame.AsSpan(0, prefix)));
            Assert.Equal(OperationStatus.NeedMoreData, PostgresFrameReader.TryPeekHeader(ref reader, 10, out _));
        }
    }

    [Fact]
    public void FrameSkip_AtEverySplitAndTruncated_SkipsTheWholeFrame()
    {
        byte[] frame = [(byte)'D', 0, 0, 0, 12, 0, 1, 0, 0, 0, 2, (byte)'h', (byte)'i'];
        SplitHarness.AssertEverySplit(frame, Project, "68 8");

        static OperationStatus Project(ref SequenceReader<byte> reader, out string projection)
        {
            var status = PostgresFrameReader.TrySkip(ref reader, 100, out byte code, out int payloadLength);
            projection = $"{code} {payloadLength}";
            return status;
        }
    }

    [Fact]
    public void FrameHeader_OverTheLimit_IsRejectedFromTheHeaderAlone()
    {
        byte[] header = [(byte)'D', 0, 0x10, 0, 0];
        var ex = Assert.Throws<PostgresProtocolException>(() => PostgresFrameHeader.Parse(header, PostgresLimits.MaxStartupResponseLength));
        Assert.Contains("exceeds the limit of 1000000", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(StartupPackets))]
    public async Task StartupStream_ReadsExactlyOnePacket_EvenOneByteAtATime(string name, byte[] packet, StartupPacketKind kind, int length)
    {
        byte[] after = [.. packet, (byte)'X', 0, 0, 0, 4];
        var stream = new TrickleStream(after);
        var (header, read) = await StartupPacketStream.ReadAsync(stream, PostgresLimits.MaxStartupPacketLength, CancellationToken.None);
        Assert.Equal(kind, header.Kind);
        Assert.Equal(length, header.Length);
        Assert.Equal(packet, read);
        Assert.Equal(packet.Length, stream.Position); // nothing read past the packet: it is relayed as it comes
        Assert.NotEmpty(name);
    }

    [Fact]
    public async Task StartupStream_EveryTruncatedPrefix_EndsWithEndOfStream()
    {
        byte[] packet = Startup();
        for (int prefix = 0; prefix < packet.Length; prefix++)
        {
            var stream = new TrickleStream(packet[..prefix]);
            await Assert.ThrowsAsync<EndOfStreamException>(() => StartupPacketStream.ReadAsync(stream, PostgresLimits.MaxStartupPacketLength, CancellationToken.None));
        }
    }

    [Fact]
    public async Task StartupStream_OverTheLimit_IsRejectedBeforeTheBodyIsAwaited()
    {
        byte[] header = [0, 0, 0x4e, 0x21]; // 20001, and nothing more is ever sent
        var stream = new TrickleStream(header);
        await Assert.ThrowsAsync<PostgresProtocolException>(() => StartupPacketStream.ReadAsync(stream, PostgresLimits.MaxStartupPacketLength, CancellationToken.None));
        Assert.Equal(4, stream.Position);
    }

    [Fact]
    public async Task FrameStream_ReadsOneMessageAtATime_AndRejectsAnOversizedOne()
    {
        var w = new ArrayBufferWriter<byte>();
        BackendKeyData.Write(w, 4660, Key(32));
        ReadyForQuery.Write(w, TransactionStatus.Idle);
        byte[] bytes = [.. w.WrittenSpan, (byte)'D', 0x7F, 0, 0, 0];
        var stream = new TrickleStream(bytes);

        var (key, keyBytes) = await PostgresFrameStream.ReadAsync(stream, 100, CancellationToken.None);
        Assert.Equal(4660, BackendKeyData.Read(key).ProcessId);
        Assert.Equal(Key(32), BackendKeyData.Read(key).SecretKey.ToArray());
        Assert.Equal(keyBytes.Length, stream.Position);

        var (ready, _) = await PostgresFrameStream.ReadAsync(stream, 100, CancellationToken.None);
        Assert.Equal(TransactionStatus.Idle, ReadyForQuery.Read(ready));

        await Assert.ThrowsAsync<PostgresProtocolException>(() => PostgresFrameStream.ReadAsync(stream, 100, CancellationToken.None));
        Assert.Equal(bytes.Length, stream.Position);
        await Assert.ThrowsAsync<EndOfStreamException>(() => PostgresFrameStream.ReadAsync(new TrickleStream(keyBytes[..^1]), 100, CancellationToken.None));
    }

    private static byte[] Key(int length) => [.. Enumerable.Range(1, length).Select(i => (byte)i)];

    private static byte[] Cancel(int keyLength)
    {
        var w = new ArrayBufferWriter<byte>();
        CancelRequest.Write(w, 4660, Key(keyLength));
        return w.WrittenSpan.ToArray();
    }

    private static byte[] Startup()
    {
        var w = new ArrayBufferWriter<byte>();
        StartupMessage.Write(w, 0, [new("user", "alice"), new("database", "app")]);
        return w.WrittenSpan.ToArray();
    }
}
