using System.Buffers;
using System.IO.Pipelines;
using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

public sealed class BackpressureTests
{
    [Fact]
    public async Task ConsumerThatStopsReading_BlocksItsSenderAtTheWindowWhileOtherStreamsFlow()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        byte[] payload = StreamExtensions.RandomBytes(8 * 1024 * 1024, seed: 7);

        MuxStream slowClient = await pair.Client.OpenStreamAsync(ct);
        Task write = slowClient.WriteAsync(payload, ct).AsTask();
        MuxStream slowServer = await pair.Server.AcceptStreamAsync(ct);

        await Timeouts.Until(() => Locked(pair.Client, () => slowClient.SendWindowUnsynchronized) == 0, "the sender exhausts its window");
        await Timeouts.Until(() => Locked(pair.Server, () => slowServer.BufferedUnsynchronized) == 256 * 1024, "the window's worth arrives");

        // Another stream still works while the first is stuck.
        MuxStream other = await pair.Client.OpenStreamAsync(ct);
        Task echo = Task.Run(async () => await (await pair.Server.AcceptStreamAsync(ct)).EchoAsync(ct), ct);
        await other.WriteAsync("ping"u8.ToArray(), ct);
        other.CompleteWrites();
        Assert.Equal("ping"u8.ToArray(), await other.ReadToEndAsync(ct));
        await echo;

        Assert.False(write.IsCompleted, "the sender is blocked by the window");
        Assert.Equal(256 * 1024, Locked(pair.Server, () => slowServer.BufferedUnsynchronized));

        Task<byte[]> drained = slowServer.ReadToEndAsync(ct);
        await write;
        slowClient.CompleteWrites();
        Assert.Equal(payload, await drained);
        Assert.True(Locked(pair.Server, () => slowServer.ReceiveWindowSizeUnsynchronized) <= 16 * 1024 * 1024);
    }

    [Fact]
    public async Task BigTransferOnOneStream_DoesNotDelaySmallRoundTripsOnAnother()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        using var stopBig = CancellationTokenSource.CreateLinkedTokenSource(ct);

        MuxStream big = await pair.Client.OpenStreamAsync(ct);
        await big.WriteAsync(new byte[1], ct);
        MuxStream bigServer = await pair.Server.AcceptStreamAsync(ct);
        long bigBytes = 0;
        Task sink = Task.Run(
            async () =>
            {
                byte[] buffer = new byte[64 * 1024];
                int read;
                while ((read = await bigServer.ReadAsync(buffer, ct)) > 0)
                {
                    Interlocked.Add(ref bigBytes, read);
                }
            },
            ct);
        Task bulk = Task.Run(
            async () =>
            {
                byte[] chunk = new byte[1024 * 1024];
                while (!stopBig.IsCancellationRequested)
                {
                    await big.WriteAsync(chunk, CancellationToken.None);
                }

                big.CompleteWrites();
            },
            ct);
        await Timeouts.Until(() => Interlocked.Read(ref bigBytes) > 4 * 1024 * 1024, "the bulk transfer is under way");

        MuxStream small = await pair.Client.OpenStreamAsync(ct);
        Task echo = Task.Run(async () => await (await pair.Server.AcceptStreamAsync(ct)).EchoAsync(ct), ct);
        byte[] request = new byte[16];
        for (int i = 0; i < 100; i++)
        {
            await small.WriteAsync(request, ct);
            await small.ReadExactlyAsync(request, ct);
        }

        Assert.False(bulk.IsCompleted, "the small round trips finished while the bulk transfer was still running");
        small.CompleteWrites();
        await echo;
        await stopBig.CancelAsync();
        await bulk;
        await sink;
    }

    [Fact]
    public async Task AcceptBacklogFull_ResetsTheExtraStreams()
    {
        await using var pair = MuxPair.Create(serverOptions: new MuxOptions { AcceptBacklog = 4 });
        CancellationToken ct = Timeouts.Token();
        var opened = new List<MuxStream>();
        for (int i = 0; i < 6; i++)
        {
            MuxStream stream = await pair.Client.OpenStreamAsync(ct);
            await stream.WriteAsync(new byte[] { (byte)i }, ct);
            opened.Add(stream);
        }

        for (int i = 4; i < 6; i++)
        {
            var error = await Assert.ThrowsAsync<StreamResetException>(async () => await opened[i].ReadToEndAsync(ct));
            Assert.True(error.ByPeer);
        }

        for (int i = 0; i < 4; i++)
        {
            MuxStream accepted = await pair.Server.AcceptStreamAsync(ct);
            Assert.Equal(opened[i].Id, accepted.Id);
            byte[] first = new byte[1];
            await accepted.ReadExactlyAsync(first, ct);
            Assert.Equal((byte)i, first[0]);
        }
    }

    [Fact]
    public async Task StreamLimit_OpenWaitsForASlotUntilAStreamCloses()
    {
        await using var pair = MuxPair.Create(new MuxOptions { MaxStreams = 1 });
        CancellationToken ct = Timeouts.Token();

        MuxStream first = await pair.Client.OpenStreamAsync(ct);
        ValueTask<MuxStream> second = pair.Client.OpenStreamAsync(ct);
        Assert.False(second.IsCompleted, "the client waits for a free slot");
        first.Reset();

        Assert.Equal(3u, (await second).Id);
    }

    [Fact]
    public async Task StreamLimit_IncomingStreamsBeyondItAreReset()
    {
        await using var pair = MuxPair.Create(serverOptions: new MuxOptions { MaxStreams = 2 });
        CancellationToken ct = Timeouts.Token();
        var opened = new List<MuxStream>();
        for (int i = 0; i < 3; i++)
        {
            MuxStream stream = await pair.Client.OpenStreamAsync(ct);
            await stream.WriteAsync(new byte[1], ct);
            opened.Add(stream);
        }

        var error = await Assert.ThrowsAsync<StreamResetException>(async () => await opened[2].ReadToEndAsync(ct));
        Assert.True(error.ByPeer);
        Assert.Equal(opened[0].Id, (await pair.Server.AcceptStreamAsync(ct)).Id);
        Assert.Equal(opened[1].Id, (await pair.Server.AcceptStreamAsync(ct)).Id);
    }

    [Fact]
    public async Task PipeReaderWaitingForAMessageLongerThanTheWindow_GetsItWhole_AndNothingIsCreditedTwice()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        byte[] message = StreamExtensions.RandomBytes(1024 * 1024, seed: 11);

        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        Task write = client.WriteAsync(message, ct).AsTask();
        MuxStream server = await pair.Server.AcceptStreamAsync(ct);

        // As a relay that inspects a statement whole: examine everything, consume nothing until all of it is there.
        PipeReader input = server.Input;
        ReadResult result = await input.ReadAsync(ct);
        while (result.Buffer.Length < message.Length && !result.IsCompleted)
        {
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await input.ReadAsync(ct);
        }

        Assert.Equal(message, result.Buffer.ToArray());
        input.AdvanceTo(result.Buffer.End);
        await write;

        // Every byte was credited once: while held, or when consumed, never both.
        Assert.Equal(0, Locked(pair.Server, () => server.BufferedUnsynchronized));
        await client.WriteAsync("tail"u8.ToArray(), ct);
        client.CompleteWrites();
        Assert.Equal("tail"u8.ToArray(), await server.ReadToEndAsync(ct));
    }

    private static T Locked<T>(MuxSession session, Func<T> read)
    {
        lock (session.SyncRoot)
        {
            return read();
        }
    }
}
