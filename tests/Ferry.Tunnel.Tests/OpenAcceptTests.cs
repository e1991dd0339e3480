using System.Buffers;
using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

public sealed class OpenAcceptTests
{
    [Fact]
    public async Task OpenAccept_EchoOfOneMegabyte_ReturnsSameBytesAndEndOfStream()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        byte[] payload = StreamExtensions.RandomBytes(1024 * 1024, seed: 1);

        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        Task serverSide = Task.Run(async () => await (await pair.Server.AcceptStreamAsync(ct)).EchoAsync(ct), ct);
        Task<byte[]> received = client.ReadToEndAsync(ct);
        await client.WriteAsync(payload, ct);
        client.CompleteWrites();

        Assert.Equal(payload, await received);
        await serverSide;
        Assert.Equal(1u, client.Id);
    }

    [Fact]
    public async Task OpenStream_FromEachSide_UsesOddIdsForClientAndEvenIdsForServer()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();

        MuxStream c1 = await pair.Client.OpenStreamAsync(ct);
        MuxStream c2 = await pair.Client.OpenStreamAsync(ct);
        MuxStream s1 = await pair.Server.OpenStreamAsync(ct);
        MuxStream s2 = await pair.Server.OpenStreamAsync(ct);
        await c1.WriteAsync("a"u8.ToArray(), ct);
        await s1.WriteAsync("b"u8.ToArray(), ct);

        Assert.Equal([1u, 3u, 2u, 4u], new[] { c1.Id, c2.Id, s1.Id, s2.Id });
        Assert.Equal(1u, (await pair.Server.AcceptStreamAsync(ct)).Id);
        Assert.Equal(2u, (await pair.Client.AcceptStreamAsync(ct)).Id);
    }

    [Fact]
    public async Task DuplexPipeView_RelaysThroughInputAndOutput()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();

        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        await client.Output.WriteAsync("hello over pipes"u8.ToArray(), ct);
        await client.Output.CompleteAsync();

        MuxStream server = await pair.Server.AcceptStreamAsync(ct);
        byte[] received;
        while (true)
        {
            var result = await server.Input.ReadAsync(ct);
            if (result.IsCompleted)
            {
                received = result.Buffer.ToArray();
                server.Input.AdvanceTo(result.Buffer.End);
                break;
            }

            server.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        Assert.Equal("hello over pipes"u8.ToArray(), received);
    }

    [Fact]
    public async Task Reset_ByOpener_MakesAcceptorReadFailWithStreamResetByPeer()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();

        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        await client.WriteAsync("x"u8.ToArray(), ct);
        MuxStream server = await pair.Server.AcceptStreamAsync(ct);
        client.Reset();

        var error = await Assert.ThrowsAsync<StreamResetException>(async () => await server.ReadToEndAsync(ct));
        Assert.True(error.ByPeer);
        Assert.Equal(client.Id, error.StreamId);
        var local = await Assert.ThrowsAsync<StreamResetException>(async () => await client.WriteAsync("y"u8.ToArray(), ct));
        Assert.False(local.ByPeer);
    }

    [Fact]
    public async Task HalfClose_AfterFin_PeerCanStillWriteBack()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();

        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        await client.WriteAsync("request"u8.ToArray(), ct);
        client.CompleteWrites();
        MuxStream server = await pair.Server.AcceptStreamAsync(ct);
        Assert.Equal("request"u8.ToArray(), await server.ReadToEndAsync(ct));

        await server.WriteAsync("response after FIN"u8.ToArray(), ct);
        server.CompleteWrites();

        Assert.Equal("response after FIN"u8.ToArray(), await client.ReadToEndAsync(ct));
        await Timeouts.Until(() => pair.Client.StreamCount == 0 && pair.Server.StreamCount == 0, "both sides forget the closed stream");
    }

    [Fact]
    public async Task Dispose_FailsOpenStreamsWithSessionClosedAndPeerSeesTransportClosed()
    {
        var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        MuxStream client = await pair.Client.OpenStreamAsync(ct);
        await client.WriteAsync("x"u8.ToArray(), ct);
        MuxStream server = await pair.Server.AcceptStreamAsync(ct);

        await pair.Client.DisposeAsync();

        var local = await Assert.ThrowsAsync<SessionClosedException>(async () => await client.WriteAsync("y"u8.ToArray(), ct));
        Assert.Equal(SessionCloseReason.LocalClose, local.Reason);
        var remote = await Assert.ThrowsAsync<SessionClosedException>(async () => await server.ReadToEndAsync(ct));
        Assert.Equal(SessionCloseReason.TransportClosed, remote.Reason);
        await pair.Server.Completion.WaitAsync(ct);
        await Assert.ThrowsAsync<SessionClosedException>(async () => await pair.Client.OpenStreamAsync(ct));
        await pair.Server.DisposeAsync();
    }
}
