using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Ferry.Tunnel;

namespace Ferry.Benchmarks.Tunnel;

/// <summary>
/// Request/response over fresh streams (the proxy opens one stream per client connection):
/// 1,000 concurrent streams each open, send 64 bytes, half-close and read the 64-byte echo; and the
/// sequential open/close rate. Per-stream latencies are recorded and their p50/p99 printed at cleanup.
/// </summary>
[MemoryDiagnoser]
public class TunnelRequestResponseBenchmarks
{
    private const int Concurrent = 1000;
    private const int Sequential = 200;
    private readonly byte[] _request = new byte[64];
    private readonly List<double> _latenciesMicroseconds = [];
    private MuxSession _client = null!;
    private MuxSession _server = null!;
    private Task _acceptLoop = Task.CompletedTask;

    [Params("pipes", "tls")]
    public string Transport { get; set; } = "pipes";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var options = new MuxOptions { MaxStreams = 4096, AcceptBacklog = 2048 };
        (_client, _server) = Transport == "tls"
            ? await TunnelLoopback.CreateTlsPairAsync(options)
            : TunnelLoopback.CreatePipePair(options);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    [Benchmark(OperationsPerInvoke = Concurrent, Description = "1,000 concurrent 64-byte request/response streams")]
    public async Task ConcurrentRequestResponse()
    {
        var tasks = new Task<double>[Concurrent];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = RoundTripAsync();
        }

        double[] latencies = await Task.WhenAll(tasks);
        lock (_latenciesMicroseconds)
        {
            _latenciesMicroseconds.AddRange(latencies);
        }
    }

    [Benchmark(OperationsPerInvoke = Sequential, Description = "sequential stream open + 64 B + close")]
    public async Task OpenCloseRate()
    {
        for (int i = 0; i < Sequential; i++)
        {
            await RoundTripAsync();
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_latenciesMicroseconds.Count > 0)
        {
            _latenciesMicroseconds.Sort();
            double p50 = _latenciesMicroseconds[_latenciesMicroseconds.Count / 2];
            double p99 = _latenciesMicroseconds[(int)(_latenciesMicroseconds.Count * 0.99)];
            Console.WriteLine($"// TUNNEL-LATENCY transport={Transport} streams={_latenciesMicroseconds.Count} p50={p50:F0}us p99={p99:F0}us");
        }

        await _client.DisposeAsync();
        await _server.DisposeAsync();
        await _acceptLoop;
    }

    private async Task<double> RoundTripAsync()
    {
        long start = Stopwatch.GetTimestamp();
        await using MuxStream stream = await _client.OpenStreamAsync();
        await stream.WriteAsync(_request);
        stream.CompleteWrites();
        byte[] response = new byte[64];
        await stream.ReadExactlyAsync(response);
        while (await stream.ReadAsync(response) > 0)
        {
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                MuxStream stream = await _server.AcceptStreamAsync();
                _ = Task.Run(() => EchoAsync(stream));
            }
        }
        catch (SessionClosedException)
        {
        }
        catch (GoAwayException)
        {
        }
    }

    private static async Task EchoAsync(MuxStream stream)
    {
        await using (stream)
        {
            byte[] buffer = new byte[64];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
            }
        }
    }
}
