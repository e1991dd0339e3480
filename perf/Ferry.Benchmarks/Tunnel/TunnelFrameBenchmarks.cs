using System.Buffers;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Ferry.Tunnel;
using Ferry.Tunnel.Frames;

namespace Ferry.Benchmarks.Tunnel;

/// <summary>
/// Cost of one small (64-byte) Data frame in steady state: sender write, writer loop, transport,
/// reader loop, receive pipe and application read, all in this process over in-memory pipes.
/// Allocated bytes per operation are per frame. Process CPU time per frame is printed at cleanup.
/// </summary>
[MemoryDiagnoser]
public class TunnelFrameBenchmarks
{
    private const int Frames = 20_000;
    private const int FrameBytes = 64;
    private readonly byte[] _message = new byte[FrameBytes];
    private readonly byte[] _headerBytes = new byte[FrameHeader.Size];
    private MuxSession _client = null!;
    private MuxSession _server = null!;
    private MuxStream _stream = null!;
    private MuxStream _accepted = null!;
    private byte[] _readBuffer = new byte[64 * 1024];
    private TimeSpan _cpu;
    private long _frames;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_client, _server) = TunnelLoopback.CreatePipePair(new MuxOptions { KeepAliveInterval = TimeSpan.Zero });
        _stream = await _client.OpenStreamAsync();
        await _stream.WriteAsync(_message);
        _accepted = await _server.AcceptStreamAsync();
        await _accepted.ReadExactlyAsync(_message);
        _readBuffer = new byte[64 * 1024];
    }

    [Benchmark(OperationsPerInvoke = Frames, Description = "64-byte frame, write to read, both sessions")]
    public async Task SmallFrameEndToEnd()
    {
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        Task<long> reading = ReadAsync(Frames * (long)FrameBytes);
        for (int i = 0; i < Frames; i++)
        {
            await _stream.WriteAsync(_message);
        }

        await reading;
        _cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        _frames += Frames;
    }

    [Benchmark(Description = "frame header write + parse")]
    public uint HeaderCodec()
    {
        new FrameHeader(FrameType.Data, FrameFlags.None, 7, 64).WriteTo(_headerBytes);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_headerBytes));
        FrameHeader.TryRead(ref reader, out FrameHeader header);
        return header.Length;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_frames > 0)
        {
            Console.WriteLine($"// TUNNEL-CPU frames={_frames} cpu_per_frame={_cpu.TotalMicroseconds / _frames:F3}us (process CPU, both sessions, all threads)");
        }

        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<long> ReadAsync(long total)
    {
        long received = 0;
        while (received < total)
        {
            received += await _accepted.ReadAsync(_readBuffer);
        }

        return received;
    }
}
