using System.Buffers;
using MySqlConnector;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// A USE to a schema no role allows stops everything after it: statements later in the same multi-statement never
/// run (multi-statements are off around a query that may change the schema), nor do commands pipelined behind it
/// (nothing is forwarded until the server's answer to a possible schema change has been checked).
/// </summary>
public sealed partial class MySqlEndToEndTests
{
    /// <summary>Creates <c>app.NAME</c> and <c>other.NAME</c> (one column <c>v</c>) as root.</summary>
    private async Task<string> ProbeTablesAsync()
    {
        var table = "probe_" + Guid.NewGuid().ToString("N")[..10];
        await Cluster.MariaDb.SqlAsync($"CREATE TABLE app.{table} (v VARCHAR(64)); CREATE TABLE other.{table} (v VARCHAR(64));");
        return table;
    }

    /// <summary>How many rows with <paramref name="value"/> both probe tables hold, as root.</summary>
    private async Task<int> ProbeRowsAsync(string table, string value) =>
        int.Parse((await Cluster.MariaDb.SqlAsync($"SELECT (SELECT COUNT(*) FROM app.{table} WHERE v = '{value}') + (SELECT COUNT(*) FROM other.{table} WHERE v = '{value}')")).Trim(),
            System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task UseOfAForbiddenSchema_InAMultiStatementFromTheCli_RunsNothingAfterIt()
    {
        var creds = await LoginAsync();
        var table = await ProbeTablesAsync();
        // With a delimiter of its own the CLI sends the three statements as one COM_QUERY (a real multi-statement).
        var (code, output) = await Cluster.MySqlAsync(creds, $"DELIMITER //\nSELECT 'cli_before'; USE other; INSERT INTO {table} VALUES ('cli_after')//\nSELECT 'cli_next'//");
        Assert.NotEqual(0, code);
        Assert.Contains("ERROR 1064", output, StringComparison.Ordinal);
        Assert.Contains("single statement", output, StringComparison.Ordinal);
        Assert.Equal(0, await ProbeRowsAsync(table, "cli_after"));

        // The same from MySqlConnector (multi-statements on): refused whole, and the session carries on in app.
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();
        await using (var multi = new MySqlConnector.MySqlCommand($"USE other; INSERT INTO {table} VALUES ('connector_after')", conn))
        {
            var ex = await Assert.ThrowsAsync<MySqlException>(() => multi.ExecuteNonQueryAsync());
            Assert.Equal(1064, ex.Number);
            Assert.Contains("single statement", ex.Message, StringComparison.Ordinal);
        }
        await using (var where = new MySqlConnector.MySqlCommand("SELECT DATABASE()", conn))
        {
            Assert.Equal("app", await where.ExecuteScalarAsync());
        }
        // Multi-statements without a possible USE run as before.
        await using (var two = new MySqlConnector.MySqlCommand($"INSERT INTO {table} VALUES ('two_a'); INSERT INTO {table} VALUES ('two_b')", conn))
        {
            Assert.Equal(2, await two.ExecuteNonQueryAsync());
        }
        Assert.Equal(0, await ProbeRowsAsync(table, "connector_after"));
        Assert.Equal(1, await ProbeRowsAsync(table, "two_b"));

        var list = Events(await SearchUserAuditAsync(UserOf(creds), "single statement"));
        Assert.Contains(list, e => e.GetProperty("code").GetString() == "TDB02W" && e.GetProperty("error").GetString()!.Contains("single statement", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UseOfAForbiddenSchema_WithACommandPipelinedBehindIt_EndsTheSession_BeforeThatCommandRuns()
    {
        var creds = await LoginAsync();
        var table = await ProbeTablesAsync();
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        Assert.Equal(["app"], await client.QueryAsync("SELECT DATABASE()", timeout.Token));

        // Both commands in one write: the INSERT is on its way before the server has answered the USE.
        var w = new ArrayBufferWriter<byte>();
        Ferry.Protocol.MySql.Commands.ComQuery.Write(w, "USE other"u8);
        Ferry.Protocol.MySql.Commands.ComQuery.Write(w, System.Text.Encoding.UTF8.GetBytes($"INSERT INTO {table} VALUES ('pipelined')"));
        await client.SendAsync(w.WrittenMemory, timeout.Token);

        var (code, message) = Err(await client.ReadAsync(timeout.Token));
        Assert.Equal(1044, code);
        Assert.Contains("schema \"other\"", message);
        Assert.Null(await client.ReadAsync(timeout.Token));
        Assert.Equal(0, await ProbeRowsAsync(table, "pipelined"));

        var list = Events(await SearchUserAuditAsync(UserOf(creds), "access_denied"));
        Assert.Single(list, e => e.GetProperty("code").GetString() == "TMY21W");
        // The INSERT never reached the database: the agent did not even take it as a command.
        Assert.DoesNotContain(list, e => e.GetProperty("type").GetString() == "db.session.query" && e.GetProperty("query").GetString() == $"INSERT INTO {table} VALUES ('pipelined')");
    }
}
