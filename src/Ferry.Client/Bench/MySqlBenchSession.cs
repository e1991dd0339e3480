using Ferry.Wire;
using Ferry.Wire.MySql;

namespace Ferry.Client.Bench;

/// <summary>A load-test session on the shared MySQL client.</summary>
internal sealed class MySqlBenchSession(MySqlWireClient client) : BenchSession
{
    protected override Task QueryAsync(string sql, WireResultSink sink, CancellationToken ct) => client.QueryAsync(sql, sink, ct);

    public override ValueTask DisposeAsync() => client.DisposeAsync();
}
