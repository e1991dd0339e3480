using System.Security.Cryptography;
using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

/// <summary>
/// The relay fast paths: a write on an idle session goes into the transport on the caller's thread, and
/// received bytes wake their reader from the session's reader loop. Both must keep every byte in order.
/// </summary>
public sealed class InlinePathTests
{
    [Fact]
    public async Task Write_WhenNobodyWritesTheTransport_IsInTheTransportWhenWriteAsyncReturns()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        await client.WriteAsync("hello"u8.ToArray(), ct);
        MuxStream server = await pair.Server.AcceptStreamAsync(ct);
        byte[] first = new byte[5];
        await server.ReadExactlyAsync(first, ct);

        // The SYN/ACK exchange is over and nothing else is queued: the writer is free.
        await Timeouts.Until(() => WriterIdle(pair.Client), "the client's writer is idle");
        ValueTask write = client.WriteAsync("world"u8.ToArray(), ct);

        Assert.True(write.IsCompletedSuccessfully, "an uncontended small write should complete on the caller's thread");
        await write;
        byte[] second = new byte[5];
        await server.ReadExactlyAsync(second, ct);
        Assert.Equal("hello"u8.ToArray(), first);
        Assert.Equal("world"u8.ToArray(), second);
    }

    private static bool WriterIdle(MuxSession session)
    {
        lock (session.SyncRoot)
        {
            return session.IsWriterIdleUnsynchronized;
        }
    }

    [Fact]
    public async Task PingPong_OnEightStreamsFromManyThreads_EveryMessageComesBackInOrder()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        const int streams = 8;
        const int rounds = 500;

        Task server = Task.Run(async () =>
        {
            var echoes = new List<Task>();
            for (int i = 0; i < streams; i++)
            {
                MuxStream accepted = await pair.Server.AcceptStreamAsync(ct);
                echoes.Add(Task.Run(() => accepted.EchoAsync(ct), ct));
            }

            await Task.WhenAll(echoes);
        }, ct);

        Task[] clients = Enumerable.Range(0, streams).Select(n => Task.Run(async () =>
        {
            MuxStream stream = await pair.Client.OpenStreamAsync(ct);
            var reply = new byte[64];
            for (int round = 0; round < rounds; round++)
            {
                // Message sizes vary so frames of different streams interleave at odd boundaries.
                byte[] message = RandomNumberGenerator.GetBytes(1 + ((n * 7 + round) % 64));
                await stream.WriteAsync(message, ct);
                await stream.ReadExactlyAsync(reply.AsMemory(0, message.Length), ct);
                Assert.Equal(message, reply.AsSpan(0, message.Length).ToArray());
            }

            stream.CompleteWrites();
            Assert.Equal(0, await stream.ReadAsync(reply, ct));
        }, ct)).ToArray();

        await Task.WhenAll(clients);
        await server;
    }
}
