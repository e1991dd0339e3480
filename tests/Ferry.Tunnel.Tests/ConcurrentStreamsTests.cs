using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

public sealed class ConcurrentStreamsTests
{
    private const byte ServerResetMarker = 0xFF;
    private const byte ClientResetMarker = 0x01;

    private enum Kind
    {
        Echo,
        EmptyHalfClose,
        ClientResets,
        ServerResets,
    }

    [Fact]
    public async Task ThousandStreams_WithRandomHalfClosesAndResets_EachEndsAsScripted()
    {
        var options = new MuxOptions { MaxStreams = 2048, AcceptBacklog = 1024 };
        await using var pair = MuxPair.Create(options, options);
        CancellationToken ct = Timeouts.Token();
        var random = new Random(20240604);
        Kind[] kinds = [.. Enumerable.Range(0, 1000).Select(_ => (Kind)random.Next(4))];
        int[] sizes = [.. kinds.Select(_ => random.Next(1, 20_000))];
        int serverSawReset = 0;
        int serverSentReset = 0;

        Task server = Task.Run(
            async () =>
            {
                var handlers = new List<Task>();
                for (int i = 0; i < kinds.Length; i++)
                {
                    MuxStream stream = await pair.Server.AcceptStreamAsync(ct);
                    handlers.Add(Task.Run(
                        async () =>
                        {
                            try
                            {
                                byte[] buffer = new byte[8192];
                                int read = await stream.ReadAsync(buffer, ct);
                                if (read > 0 && buffer[0] == ServerResetMarker)
                                {
                                    stream.Reset();
                                    Interlocked.Increment(ref serverSentReset);
                                    return;
                                }

                                while (read > 0)
                                {
                                    await stream.WriteAsync(buffer.AsMemory(0, read), ct);
                                    read = await stream.ReadAsync(buffer, ct);
                                }

                                stream.CompleteWrites();
                            }
                            catch (StreamResetException e) when (e.ByPeer)
                            {
                                Interlocked.Increment(ref serverSawReset);
                            }
                        },
                        ct));
                }

                await Task.WhenAll(handlers);
            },
            ct);

        int clientSawReset = 0;
        int echoed = 0;
        await Task.WhenAll(kinds.Select((kind, i) => Task.Run(
            async () =>
            {
                MuxStream stream = await pair.Client.OpenStreamAsync(ct);
                byte[] payload = StreamExtensions.RandomBytes(sizes[i], seed: i);
                switch (kind)
                {
                    case Kind.Echo:
                        payload[0] = 0;
                        Task<byte[]> back = stream.ReadToEndAsync(ct);
                        await stream.WriteAsync(payload, ct);
                        stream.CompleteWrites();
                        Assert.Equal(payload, await back);
                        Interlocked.Increment(ref echoed);
                        break;
                    case Kind.EmptyHalfClose:
                        stream.CompleteWrites();
                        Assert.Empty(await stream.ReadToEndAsync(ct));
                        Interlocked.Increment(ref echoed);
                        break;
                    case Kind.ClientResets:
                        payload[0] = ClientResetMarker;
                        await stream.WriteAsync(payload.AsMemory(0, Math.Min(payload.Length, 100)), ct);
                        stream.Reset();
                        break;
                    case Kind.ServerResets:
                        payload[0] = ServerResetMarker;
                        await stream.WriteAsync(payload.AsMemory(0, 1), ct);
                        var error = await Assert.ThrowsAsync<StreamResetException>(async () => await stream.ReadToEndAsync(ct));
                        Assert.True(error.ByPeer);
                        Interlocked.Increment(ref clientSawReset);
                        break;
                }
            },
            ct)));
        await server;

        Assert.Equal(kinds.Count(k => k is Kind.Echo or Kind.EmptyHalfClose), echoed);
        Assert.Equal(kinds.Count(k => k == Kind.ClientResets), serverSawReset);
        Assert.Equal(kinds.Count(k => k == Kind.ServerResets), serverSentReset);
        Assert.Equal(serverSentReset, clientSawReset);
        await Timeouts.Until(() => pair.Client.StreamCount == 0 && pair.Server.StreamCount == 0, "every stream is forgotten on both sides");
    }
}
