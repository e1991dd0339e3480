using BenchmarkDotNet.Attributes;
using Ferry.Audit;
using ZstdSharp;

namespace Ferry.Benchmarks.Audit;

/// <summary>
/// Sealing one full active segment (64 MiB of framed query events, as the store writes them) at the store's default
/// zstd level: as the store did up to 2026-12-04 (the segment read whole, compressed into a second whole buffer,
/// written) against the streamed seal (<see cref="StoreFiles.CompressAtomic"/>). Allocated bytes show what each
/// seal costs the auth service's memory; the ratio is printed once.
/// </summary>
[MemoryDiagnoser]
public class AuditSealBenchmarks
{
    private string _dir = "";
    private string _log = "";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ferry-bench-seal-" + Guid.NewGuid().ToString("N"));
        using (var store = AuditStore.Open(_dir, new AuditStoreOptions { Fsync = false, MaxSegmentBytes = long.MaxValue }))
        {
            _log = Directory.GetFiles(_dir, "seg-*.log").Single();
            while (new FileInfo(_log).Length < 64L * 1024 * 1024)
            {
                store.Append(AuditBenchEvents.Make(1000));
            }
        }

        Streamed();
        Console.WriteLine($"// {new FileInfo(_log).Length} -> {new FileInfo(_log + ".zst").Length} bytes");
    }

    [Benchmark(Baseline = true)]
    public int WholeInMemory()
    {
        byte[] raw = File.ReadAllBytes(_log);
        using var compressor = new Compressor(3);
        byte[] sealedBytes = compressor.Wrap(raw).ToArray();
        StoreFiles.WriteAtomic(_log + ".zst", sealedBytes, fsync: false);
        return sealedBytes.Length;
    }

    [Benchmark]
    public void Streamed() => StoreFiles.CompressAtomic(_log, _log + ".zst", 3, fsync: false);

    /// <summary>The streamed seal at other levels (negative: zstd's fast modes); the sizes are printed once per level.</summary>
    [Benchmark]
    [Arguments(1)]
    [Arguments(-1)]
    [Arguments(-3)]
    [Arguments(-7)]
    public long StreamedAtLevel(int level)
    {
        StoreFiles.CompressAtomic(_log, _log + ".zst", level, fsync: false);
        long size = new FileInfo(_log + ".zst").Length;
        if (_printed.Add(level))
        {
            Console.WriteLine($"// level {level}: {new FileInfo(_log).Length} -> {size} bytes");
        }

        return size;
    }

    private readonly HashSet<int> _printed = [];

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);
}
