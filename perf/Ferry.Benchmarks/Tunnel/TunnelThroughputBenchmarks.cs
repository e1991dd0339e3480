using System.Net.Security;
using BenchmarkDotNet.Attributes;
using Ferry.Tunnel;

namespace Ferry.Benchmarks.Tunnel;

/// <summary>
/// Single-stream bulk throughput: 64 MiB per operation, counted as delivered when the receiver
/// acknowledges the last byte. Plain TLS (no multiplexer) over the same kind of loopback connection
/// is the baseline; the goal is mux over TLS at 80 % of it or better.
/// </summary>
[MemoryDiagnoser]
public class TunnelThroughputBenchmarks
{
    private const int TransferBytes = 64 * 1024 * 1024;
    private readonly byte[] _chunk = new byte[256 * 1024];
    private readonly byte[] _ack = new byte[1];
    private MuxSession[] _sessions = [];
    private MuxStream _pipeStream = null!;
    private MuxStream _tlsStream = null!;
    private SslStream _plainClient = null!;
    private SslStream _plainServer = null!;
    private readonly List<Task> _receivers = [];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (MuxSession pipeClient, MuxSession pipeServer) = TunnelLoopback.CreatePipePair();
        (MuxSession tlsClient, MuxSession tlsServer) = await TunnelLoopback.CreateTlsPairAsync();
        _sessions = [pipeClient, pipeServer, tlsClient, tlsServer];
        _pipeStream = await OpenWithReceiverAsync(pipeClient, pipeServer);
        _tlsStream = await OpenWithReceiverAsync(tlsClient, tlsServer);
        (_plainClient, _plainServer) = await TunnelLoopback.ConnectTlsAsync();
        _receivers.Add(Task.Run(() => TunnelLoopback.AcknowledgeEveryAsync(_plainServer, TransferBytes)));
    }

    [Benchmark(Baseline = true, Description = "plain TLS socket, 64 MiB")]
    public Task PlainTls() => TransferAsync(_plainClient);

    [Benchmark(Description = "mux stream over loopback TLS, 64 MiB")]
    public Task MuxOverTls() => TransferAsync(_tlsStream);

    [Benchmark(Description = "mux stream over in-memory pipes, 64 MiB")]
    public Task MuxOverPipes() => TransferAsync(_pipeStream);

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _pipeStream.CompleteWrites();
        _tlsStream.CompleteWrites();
        _plainClient.Dispose();
        foreach (MuxSession session in _sessions)
        {
            await session.DisposeAsync();
        }

        _plainServer.Dispose();
    }

    private async Task TransferAsync(Stream stream)
    {
        for (int sent = 0; sent < TransferBytes; sent += _chunk.Length)
        {
            await stream.WriteAsync(_chunk);
        }

        await stream.FlushAsync();
        await stream.ReadExactlyAsync(_ack);
    }

    private async Task<MuxStream> OpenWithReceiverAsync(MuxSession client, MuxSession server)
    {
        MuxStream stream = await client.OpenStreamAsync();
        await stream.WriteAsync(_ack);
        MuxStream accepted = await server.AcceptStreamAsync();
        await accepted.ReadExactlyAsync(new byte[1]);
        _receivers.Add(Task.Run(() => TunnelLoopback.AcknowledgeEveryAsync(accepted, TransferBytes)));
        return stream;
    }
}
