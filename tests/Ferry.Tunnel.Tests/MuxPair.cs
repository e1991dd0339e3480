using System.IO.Pipelines;
using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

/// <summary>A client and a server session joined by two in-memory pipes.</summary>
internal sealed class MuxPair : IAsyncDisposable
{
    private MuxPair(MuxSession client, MuxSession server)
    {
        Client = client;
        Server = server;
    }

    public MuxSession Client { get; }

    public MuxSession Server { get; }

    public static MuxPair Create(MuxOptions? clientOptions = null, MuxOptions? serverOptions = null)
    {
        (IDuplexPipe clientEnd, IDuplexPipe serverEnd) = CreateTransport();
        return new MuxPair(MuxSession.Client(clientEnd, clientOptions), MuxSession.Server(serverEnd, serverOptions));
    }

    /// <summary>Two connected transport ends; each pipe pauses its writer at 64 KiB like a socket buffer.</summary>
    public static (IDuplexPipe A, IDuplexPipe B) CreateTransport()
    {
        var options = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
        var aToB = new Pipe(options);
        var bToA = new Pipe(options);
        return (new Duplex(bToA.Reader, aToB.Writer), new Duplex(aToB.Reader, bToA.Writer));
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }

    internal sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
