using Ferry.Tunnel;
using Ferry.Tunnel.Frames;

namespace Ferry.Tunnel.Tests;

public sealed class DeadPeerTests
{
    [Fact]
    public async Task KeepAlive_AgainstAPeerThatNeitherReadsNorAnswers_EndsWithKeepAliveTimeout()
    {
        var options = new MuxOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(50), KeepAliveTimeout = TimeSpan.FromMilliseconds(200) };
        await using var stalled = RawPeer.ForClient(options);
        CancellationToken ct = Timeouts.Token();
        MuxStream stream = await stalled.Session.OpenStreamAsync(ct);

        var error = await Assert.ThrowsAsync<KeepAliveTimeoutException>(() => stalled.Session.Completion.WaitAsync(ct));

        Assert.Equal(options.KeepAliveTimeout, error.Timeout);
        var streamError = await Assert.ThrowsAsync<SessionClosedException>(async () => await stream.ReadToEndAsync(ct));
        Assert.Equal(SessionCloseReason.KeepAliveTimeout, streamError.Reason);
        Assert.IsType<KeepAliveTimeoutException>(streamError.InnerException);
    }

    [Fact]
    public async Task Ping_AnsweredByPeer_MeasuresRtt()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();

        TimeSpan rtt = await pair.Client.PingAsync(ct);

        Assert.True(rtt > TimeSpan.Zero);
        Assert.NotNull(pair.Client.Rtt);
    }

    [Fact]
    public async Task WriteDeadline_AgainstAPeerThatStopsReading_EndsWithWriteTimeout()
    {
        var options = new MuxOptions { KeepAliveInterval = TimeSpan.Zero, WriteTimeout = TimeSpan.FromMilliseconds(200) };
        await using var stalled = RawPeer.ForClient(options);
        CancellationToken ct = Timeouts.Token();
        MuxStream stream = await stalled.Session.OpenStreamAsync(ct);

        // 200 KiB fits the 256 KiB stream window but not the 64 KiB transport buffer nobody drains.
        var writeError = await Assert.ThrowsAsync<SessionClosedException>(async () => await stream.WriteAsync(new byte[200 * 1024], ct));

        Assert.Equal(SessionCloseReason.WriteTimeout, writeError.Reason);
        await Assert.ThrowsAsync<WriteTimeoutException>(() => stalled.Session.Completion.WaitAsync(ct));
    }

    [Fact]
    public async Task PingFlood_FromAPeerThatDoesNotRead_OverflowsTheControlQueueAndAborts()
    {
        var options = new MuxOptions { MaxQueuedControlFrames = 16, KeepAliveInterval = TimeSpan.Zero, WriteTimeout = TimeSpan.FromSeconds(30) };
        await using var flooder = RawPeer.ForServer(options);
        CancellationToken ct = Timeouts.Token();
        byte[] pings = new byte[10_000 * FrameHeader.Size];
        for (int i = 0; i < 10_000; i++)
        {
            FrameHeader.PingRequest((uint)i).WriteTo(pings.AsSpan(i * FrameHeader.Size));
        }

        Task sending = flooder.SendRawAsync(pings);

        var error = await Assert.ThrowsAsync<SessionClosedException>(() => flooder.Session.Completion.WaitAsync(ct));
        Assert.Equal(SessionCloseReason.QueueOverflow, error.Reason);
        _ = sending;
    }
}
