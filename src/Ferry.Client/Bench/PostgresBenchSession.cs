using Ferry.Wire;
using Ferry.Wire.Postgres;

namespace Ferry.Client.Bench;

/// <summary>A load-test session on the shared PostgreSQL client.</summary>
internal sealed class PostgresBenchSession(PostgresWireClient client, PostgresQueryMode mode) : BenchSession
{
    protected override Task QueryAsync(string sql, WireResultSink sink, CancellationToken ct) => client.QueryAsync(sql, sink, mode, ct);

    public override ValueTask DisposeAsync() => client.DisposeAsync();
}

