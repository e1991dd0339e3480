using System.Text;
using Ferry.Tunnel;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel.Tests;

/// <summary>Drives a session with literal frames from a hand-written peer, checking the spec's message flow.</summary>
public sealed class SpecSemanticsTests
{
    [Fact]
    public async Task DataRidingOnSyn_IsDeliveredAndTheAcceptorAnswersWithAck()
    {
        await using var peer = RawPeer.ForServer();
        CancellationToken ct = Timeouts.Token();

        // Data|SYN, stream 1, length 5, "hello" — spelled out byte by byte.
        await peer.SendRawAsync([0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, .. "hello"u8]);
        MuxStream stream = await peer.Session.AcceptStreamAsync(ct);
        byte[] buffer = new byte[5];
        await stream.ReadExactlyAsync(buffer, ct);
        await stream.WriteAsync("hi"u8.ToArray(), ct);

        (FrameHeader first, byte[] firstPayload) = await peer.ReadFrameAsync(ct);
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer));
        Assert.Equal(1u, first.StreamId);
        Assert.Equal(FrameFlags.Ack, first.Flags);
        string answer = Encoding.ASCII.GetString(firstPayload);
        if (first.Type == FrameType.WindowUpdate)
        {
            (FrameHeader data, byte[] payload) = await peer.ReadFrameAsync(ct);
            Assert.Equal(new FrameHeader(FrameType.Data, FrameFlags.None, 1, 2), data);
            answer = Encoding.ASCII.GetString(payload);
        }

        Assert.Equal("hi", answer);
    }

    [Fact]
    public async Task DataFramesAfterSynBeforeAck_AreAllDelivered()
    {
        await using var peer = RawPeer.ForServer();
        CancellationToken ct = Timeouts.Token();

        await peer.SendAsync(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Syn, 1, 0));
        await peer.SendAsync(new FrameHeader(FrameType.Data, FrameFlags.None, 1, 3), "abc"u8.ToArray());
        await peer.SendAsync(new FrameHeader(FrameType.Data, FrameFlags.Fin, 1, 3), "def"u8.ToArray());

        MuxStream stream = await peer.Session.AcceptStreamAsync(ct);
        Assert.Equal("abcdef", Encoding.ASCII.GetString(await stream.ReadToEndAsync(ct)));
    }

    [Fact]
    public async Task Ping_WithSyn_IsEchoedWithAckAndTheSameOpaqueValue()
    {
        await using var peer = RawPeer.ForServer();
        CancellationToken ct = Timeouts.Token();

        await peer.SendRawAsync([0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04]);

        (FrameHeader answer, _) = await peer.ReadFrameAsync(ct);
        Assert.Equal(new FrameHeader(FrameType.Ping, FrameFlags.Ack, 0, 0x01020304), answer);
    }

    [Fact]
    public async Task OpenStream_SendsSynOnFirstFrameWithOddId()
    {
        await using var peer = RawPeer.ForClient();
        CancellationToken ct = Timeouts.Token();

        MuxStream stream = await peer.Session.OpenStreamAsync(ct);
        (FrameHeader first, _) = await peer.ReadFrameAsync(ct);

        Assert.Equal(1u, stream.Id);
        Assert.Equal(1u, first.StreamId);
        Assert.True((first.Flags & FrameFlags.Syn) != 0);
    }

    [Fact]
    public async Task ReceiveWindow_ConsumedByReader_IsCreditedInBatchesOfHalfTheWindow()
    {
        await using var peer = RawPeer.ForServer();
        peer.AnswerPings = false; // no RTT sample, so the window stays at 256 KiB and deltas are exact
        CancellationToken ct = Timeouts.Token();
        byte[] chunk = new byte[16 * 1024];

        await peer.SendAsync(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Syn, 1, 0));
        MuxStream stream = await peer.Session.AcceptStreamAsync(ct);
        Task<byte[]> reading = stream.ReadToEndAsync(ct);
        for (int i = 0; i < 16; i++)
        {
            await peer.SendAsync(new FrameHeader(FrameType.Data, FrameFlags.None, 1, (uint)chunk.Length), chunk);
        }

        var updates = new List<FrameHeader>();
        while (updates.Count < 2)
        {
            (FrameHeader frame, _) = await peer.ReadFrameAsync(ct);
            if (frame.Type == FrameType.WindowUpdate && frame.Length > 0)
            {
                updates.Add(frame);
            }
        }

        await peer.SendAsync(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Fin, 1, 0));
        Assert.Equal(256 * 1024, (await reading).Length);
        Assert.All(updates, u => Assert.Equal(new FrameHeader(FrameType.WindowUpdate, FrameFlags.None, 1, 128 * 1024), u));
    }

    [Fact]
    public async Task SendWindow_WithoutUpdates_StopsAfterExactly256KiB()
    {
        await using var peer = RawPeer.ForServer();
        CancellationToken ct = Timeouts.Token();

        await peer.SendAsync(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Syn, 1, 0));
        MuxStream stream = await peer.Session.AcceptStreamAsync(ct);
        ValueTask write = stream.WriteAsync(new byte[1024 * 1024], ct);

        long received = 0;
        while (received < 256 * 1024)
        {
            (FrameHeader frame, byte[] payload) = await peer.ReadFrameAsync(ct);
            if (frame.Type == FrameType.Data)
            {
                Assert.True(payload.Length <= 16 * 1024, "data frames are capped at MaxFrameSize");
                received += payload.Length;
            }
        }

        await peer.SendAsync(FrameHeader.PingRequest(99));
        while (true)
        {
            (FrameHeader frame, _) = await peer.ReadFrameAsync(ct, skipPings: false);
            Assert.NotEqual(FrameType.Data, frame.Type);
            if (frame.Type == FrameType.Ping && frame.Length == 99)
            {
                break;
            }
        }

        Assert.Equal(256 * 1024, received);
        Assert.False(write.IsCompleted);
        await peer.SendAsync(FrameHeader.WindowUpdate(1, FrameFlags.None, 768 * 1024));
        while (received < 1024 * 1024)
        {
            (FrameHeader frame, byte[] payload) = await peer.ReadFrameAsync(ct);
            received += frame.Type == FrameType.Data ? payload.Length : 0;
        }

        await write;
    }

    [Fact]
    public async Task DataBeyondTheReceiveWindow_IsAProtocolErrorAnsweredWithGoAway()
    {
        await using var peer = RawPeer.ForServer();
        CancellationToken ct = Timeouts.Token();

        await peer.SendAsync(new FrameHeader(FrameType.Data, FrameFlags.Syn, 1, 256 * 1024), new byte[256 * 1024]);
        await peer.SendAsync(new FrameHeader(FrameType.Data, FrameFlags.None, 1, 1), [1]);

        FrameHeader frame;
        do
        {
            (frame, _) = await peer.ReadFrameAsync(ct);
        }
        while (frame.Type != FrameType.GoAway);

        Assert.Equal(FrameHeader.GoAway(GoAwayCode.ProtocolError), frame);
        var error = await Assert.ThrowsAsync<SessionClosedException>(() => peer.Session.Completion.WaitAsync(ct));
        Assert.Equal(SessionCloseReason.ProtocolError, error.Reason);
        Assert.Contains("receive window", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientOpeningAnEvenStreamId_IsAProtocolError()
    {
        await using var peer = RawPeer.ForServer();
        CancellationToken ct = Timeouts.Token();

        await peer.SendAsync(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Syn, 2, 0));

        var error = await Assert.ThrowsAsync<SessionClosedException>(() => peer.Session.Completion.WaitAsync(ct));
        Assert.Equal(SessionCloseReason.ProtocolError, error.Reason);
    }

    [Fact]
    public async Task RstFromPeer_FailsReadsWithStreamResetByPeer()
    {
        await using var peer = RawPeer.ForServer();
        CancellationToken ct = Timeouts.Token();

        await peer.SendAsync(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Syn, 1, 0));
        MuxStream stream = await peer.Session.AcceptStreamAsync(ct);
        await peer.SendAsync(FrameHeader.Reset(1));

        var error = await Assert.ThrowsAsync<StreamResetException>(async () => await stream.ReadToEndAsync(ct));
        Assert.True(error.ByPeer);
    }

    [Fact]
    public async Task GoAwayFromPeer_RefusesNewStreamsWithTypedError()
    {
        await using var peer = RawPeer.ForClient();
        CancellationToken ct = Timeouts.Token();

        await peer.SendRawAsync([0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
        await peer.SendAsync(FrameHeader.PingRequest(7));
        await peer.ReadFrameAsync(ct, skipPings: false); // the session has processed the GoAway once it answers

        var error = await Assert.ThrowsAsync<GoAwayException>(async () => await peer.Session.OpenStreamAsync(ct));
        Assert.True(error.ByPeer);
        Assert.Equal(GoAwayCode.Normal, error.Code);
    }

    [Fact]
    public async Task GoAwayWithInternalError_ClosesTheSessionWithThatReason()
    {
        await using var peer = RawPeer.ForClient();
        CancellationToken ct = Timeouts.Token();

        await peer.SendAsync(FrameHeader.GoAway(GoAwayCode.InternalError));

        var error = await Assert.ThrowsAsync<SessionClosedException>(() => peer.Session.Completion.WaitAsync(ct));
        Assert.Equal(SessionCloseReason.RemoteGoAwayError, error.Reason);
    }
}
