using Ferry.Wire;

namespace Ferry.Client.Bench;

/// <summary>One open database session of a load test: runs a statement, returns the database's error if it sent one.</summary>
public abstract class BenchSession : IAsyncDisposable
{
    private readonly BenchSink _sink = new();

    /// <summary>Runs <paramref name="sql"/>; null when it succeeded, the database's error otherwise (the session may go on).</summary>
    public async Task<WireError?> RunAsync(string sql, CancellationToken ct)
    {
        _sink.Error = null;
        await QueryAsync(sql, _sink, ct).ConfigureAwait(false);
        return _sink.Error;
    }

    protected abstract Task QueryAsync(string sql, WireResultSink sink, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    /// <summary>Keeps the first error of a statement; rows are not decoded.</summary>
    private sealed class BenchSink : WireResultSink
    {
        public WireError? Error { get; set; }

        public override void OnError(WireError error) => Error ??= error;
    }
}
