using System.Net.Security;
using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

public sealed class TlsTransportTests
{
    [Fact]
    public async Task OverLoopbackTls_EightParallelStreamsEchoTheirBytes()
    {
        CancellationToken ct = Timeouts.Token();
        (SslStream clientTls, SslStream serverTls) = await TlsLoopback.ConnectAsync(ct);
        await using MuxSession client = MuxSession.Client(clientTls);
        await using MuxSession server = MuxSession.Server(serverTls);

        Task acceptor = Task.Run(
            async () =>
            {
                var echoes = new List<Task>();
                for (int i = 0; i < 8; i++)
                {
                    MuxStream stream = await server.AcceptStreamAsync(ct);
                    echoes.Add(Task.Run(() => stream.EchoAsync(ct), ct));
                }

                await Task.WhenAll(echoes);
            },
            ct);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(
            async () =>
            {
                byte[] payload = StreamExtensions.RandomBytes(512 * 1024 + i, seed: i);
                MuxStream stream = await client.OpenStreamAsync(ct);
                Task<byte[]> back = stream.ReadToEndAsync(ct);
                await stream.WriteAsync(payload, ct);
                stream.CompleteWrites();
                Assert.Equal(payload, await back);
            },
            ct)));
        await acceptor;

        Assert.True(await client.PingAsync(ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task OverLoopbackTls_ClosingOneSide_EndsThePeerSession()
    {
        CancellationToken ct = Timeouts.Token();
        (SslStream clientTls, SslStream serverTls) = await TlsLoopback.ConnectAsync(ct);
        MuxSession client = MuxSession.Client(clientTls);
        await using MuxSession server = MuxSession.Server(serverTls);
        MuxStream stream = await client.OpenStreamAsync(ct);
        await stream.WriteAsync("x"u8.ToArray(), ct);
        MuxStream accepted = await server.AcceptStreamAsync(ct);

        await client.DisposeAsync();

        await server.Completion.WaitAsync(ct);
        var error = await Assert.ThrowsAsync<SessionClosedException>(async () => await accepted.ReadToEndAsync(ct));
        Assert.Equal(SessionCloseReason.TransportClosed, error.Reason);
    }
}
