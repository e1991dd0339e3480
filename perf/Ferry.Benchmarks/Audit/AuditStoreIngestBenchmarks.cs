using BenchmarkDotNet.Attributes;
using Ferry.Audit;

namespace Ferry.Benchmarks.Audit;

/// <summary>
/// Events ingested into the embedded store per second: dedupe lookup, canonical JSON, SHA-256
/// chain hash, CRC framing, one write + fsync per batch, sealing (zstd) every 64 MiB.
/// Each operation is one event; an invocation appends <see cref="Events"/> events in batches.
/// </summary>
[MemoryDiagnoser]
public class AuditStoreIngestBenchmarks
{
    private const int Events = 100_000;
    private string _directory = "";
    private AuditStore _store = null!;
    private AuditEvent[][] _batches = [];

    [Params(100, 1000)]
    public int BatchSize { get; set; }

    [Params(true, false)]
    public bool Fsync { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "ferry-bench-audit-" + Guid.NewGuid().ToString("N"));
        _store = AuditStore.Open(_directory, new AuditStoreOptions { Fsync = Fsync, Retention = TimeSpan.FromDays(1) });
        _batches = [.. Enumerable.Range(0, Events / BatchSize).Select(_ => AuditBenchEvents.Make(BatchSize))];
    }

    [IterationSetup]
    public void NewIds()
    {
        foreach (AuditEvent[] b in _batches)
        {
            AuditBenchEvents.Renew(b);
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Ingest()
    {
        int stored = 0;
        foreach (AuditEvent[] b in _batches)
        {
            stored += _store.Append(b);
        }

        if (stored != Events)
        {
            throw new InvalidOperationException($"stored {stored} of {Events}");
        }

        return stored;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
