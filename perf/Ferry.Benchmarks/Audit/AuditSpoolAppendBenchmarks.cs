using BenchmarkDotNet.Attributes;
using Ferry.Audit;

namespace Ferry.Benchmarks.Audit;

/// <summary>
/// Spool append latency from <see cref="SpoolingAuditSink.Emit"/> to durable (fsync'd):
/// one event alone (<see cref="EmitOneToDurable"/>), and the per-event cost when a burst of
/// events shares group commits (<see cref="EmitBurstToDurable"/>). <see cref="EmitOnly"/> is what
/// the relay pays on its own thread.
/// </summary>
[MemoryDiagnoser]
public class AuditSpoolAppendBenchmarks
{
    private const int Burst = 1000;
    private string _directory = "";
    private AuditSpool _spool = null!;
    private SpoolingAuditSink _sink = null!;
    private AuditEvent _one = null!;
    private AuditEvent[] _burst = [];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "ferry-bench-spool-" + Guid.NewGuid().ToString("N"));
        _spool = AuditSpool.Open(_directory);
        _sink = new SpoolingAuditSink(_spool);
        _one = AuditBenchEvents.Make(1)[0];
        _burst = AuditBenchEvents.Make(Burst);
    }

    [Benchmark]
    public Task EmitOneToDurable()
    {
        _sink.Emit(_one);
        return _sink.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = Burst)]
    public Task EmitBurstToDurable()
    {
        foreach (AuditEvent e in _burst)
        {
            _sink.Emit(e);
        }

        return _sink.FlushAsync();
    }

    [Benchmark(OperationsPerInvoke = Burst)]
    public void EmitOnly()
    {
        foreach (AuditEvent e in _burst)
        {
            _sink.Emit(e);
        }
    }

    [IterationCleanup(Target = nameof(EmitOnly))]
    public void DrainAfterEmitOnly() => _sink.FlushAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _spool.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
