namespace Ferry.Client.Bench;

/// <summary>What one load-test client measured; only its own task writes it (the progress line reads the counters).</summary>
internal sealed class BenchClient
{
    private long _transactions;
    private long _errors;

    public LatencyHistogram Latency { get; } = new();

    public LatencyHistogram Connect { get; } = new();

    public BenchErrorTally Errors { get; } = new();

    public long Transactions => Volatile.Read(ref _transactions);

    public long ErrorCount => Volatile.Read(ref _errors);

    public void Succeeded(long microseconds)
    {
        Latency.Record(microseconds);
        Volatile.Write(ref _transactions, _transactions + 1);
    }

    public void Failed(string code, string message)
    {
        Errors.Add(code, message);
        Volatile.Write(ref _errors, _errors + 1);
    }
}
