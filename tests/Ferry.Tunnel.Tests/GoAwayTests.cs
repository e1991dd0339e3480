using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

public sealed class GoAwayTests
{
    [Fact]
    public async Task GoAway_RefusesNewStreamsWhileOpenOnesFinishThenDrainCompletes()
    {
        await using var pair = MuxPair.Create();
        CancellationToken ct = Timeouts.Token();
        var clientStreams = new List<MuxStream>();
        var serverStreams = new List<MuxStream>();
        for (int i = 0; i < 3; i++)
        {
            MuxStream stream = await pair.Client.OpenStreamAsync(ct);
            await stream.WriteAsync(new byte[] { (byte)i }, ct);
            clientStreams.Add(stream);
            serverStreams.Add(await pair.Server.AcceptStreamAsync(ct));
        }

        Task drained = pair.Server.GoAwayAsync(ct);

        var atClient = await Assert.ThrowsAsync<GoAwayException>(async () => await pair.Client.AcceptStreamAsync(ct));
        Assert.True(atClient.ByPeer);
        await Assert.ThrowsAsync<GoAwayException>(async () => await pair.Client.OpenStreamAsync(ct));
        var atServer = await Assert.ThrowsAsync<GoAwayException>(async () => await pair.Server.AcceptStreamAsync(ct));
        Assert.False(atServer.ByPeer);
        await Assert.ThrowsAsync<GoAwayException>(async () => await pair.Server.OpenStreamAsync(ct));

        for (int i = 0; i < 3; i++)
        {
            Task echo = serverStreams[i].EchoAsync(ct);
            await clientStreams[i].WriteAsync(new byte[1000], ct);
            clientStreams[i].CompleteWrites();
            Assert.Equal(1001, (await clientStreams[i].ReadToEndAsync(ct)).Length);
            await echo;
            if (i < 2)
            {
                await Timeouts.Until(() => pair.Server.StreamCount == 2 - i, "the finished stream is forgotten");
                Assert.False(drained.IsCompleted, "drain waits for the streams still open");
            }
        }

        await drained;
        Assert.Equal(0, pair.Server.StreamCount);
    }
}
