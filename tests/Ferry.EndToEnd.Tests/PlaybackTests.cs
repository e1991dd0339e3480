using System.Text.Json;
using MySqlConnector;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary><c>ferry play</c> on recorded PostgreSQL and MySQL sessions, through the real binaries and clients.</summary>
public sealed class PlaybackTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    /// <summary>The id of the user's latest allowed session, once its end event reached the audit store.</summary>
    internal static async Task<string> EndedSessionIdAsync(FerryCluster cluster, HttpClient api, string user)
    {
        for (var i = 0; i < 120; i++)
        {
            var body = await api.GetStringAsync($"/v1/audit/search?user={Uri.EscapeDataString(user)}&type=db.session.end&since=1h");
            using var doc = JsonDocument.Parse(body);
            var ends = doc.RootElement.EnumerateArray().ToList();
            if (ends.Count > 0)
            {
                return ends[^1].GetProperty("session_id").GetString()!;
            }

            await Task.Delay(250);
        }

        throw new InvalidOperationException($"no db.session.end for {user} reached the audit store; ferryd log: {cluster.FerrydLog}");
    }

    [Fact]
    public async Task Play_PostgresSession_ShowsEachStatementWithParametersRowsErrorsAndTheEnd()
    {
        var user = await Cluster.AddUserAsync("pp" + Guid.NewGuid().ToString("N")[..9], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        await using (var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds) + ";Max Auto Prepare=0;Pooling=false"))
        {
            await conn.OpenAsync();
            await using (var series = new NpgsqlCommand("SELECT g FROM generate_series(1, 5) g", conn))
            await using (var reader = await series.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                }
            }

            await using (var param = new NpgsqlCommand("SELECT $1::int + 1", conn))
            {
                param.Parameters.Add(new NpgsqlParameter { Value = 41 });
                Assert.Equal(42, (int)(await param.ExecuteScalarAsync())!);
            }

            await using var bad = new NpgsqlCommand("SELECT * FROM no_such_table_for_playback", conn);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteNonQueryAsync());
            Assert.Equal("42P01", ex.SqlState);
        }

        var admin = await Cluster.AddUserAsync("pa" + Guid.NewGuid().ToString("N")[..9], "admin");
        using var cli = new FerryCli(Cluster);
        Assert.Equal(0, (await cli.LoginWithPreviousCodeAsync(admin)).ExitCode);
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        var sessionId = await EndedSessionIdAsync(Cluster, api, user.User);

        var text = await cli.RunCheckedAsync("play", sessionId, "--speed", "0");

        Assert.Contains($"session {sessionId}  user {user.User}  db pg1 (postgres, alice@app)", text, StringComparison.Ordinal);
        Assert.Contains("SELECT g FROM generate_series(1, 5) g", text, StringComparison.Ordinal);
        Assert.Contains("→ 5 rows", text, StringComparison.Ordinal);
        Assert.Contains("(SELECT 5)", text, StringComparison.Ordinal);
        Assert.Contains("SELECT $1::int + 1", text, StringComparison.Ordinal);
        // Npgsql sends parameters in binary: the audit keeps them as base64 (int4 41 = 00 00 00 29).
        Assert.Contains("params: $1='base64:AAAAKQ=='", text, StringComparison.Ordinal);
        Assert.Contains("ERROR", text, StringComparison.Ordinal);
        Assert.Contains("42P01", text, StringComparison.Ordinal);
        Assert.Contains(": client_closed", text, StringComparison.Ordinal);

        var json = await cli.RunCheckedAsync("play", sessionId, "--format", "json");
        using var doc = JsonDocument.Parse(json);
        var statements = doc.RootElement.GetProperty("statements").EnumerateArray().ToList();
        var series5 = Assert.Single(statements, s => s.GetProperty("query").GetString() == "SELECT g FROM generate_series(1, 5) g");
        Assert.Equal(5, series5.GetProperty("rows").GetInt64());
        Assert.True(series5.GetProperty("bytes").GetInt64() > 0);
        Assert.True(series5.GetProperty("duration_us").GetInt64() >= 0);
        var failed = Assert.Single(statements, s => !s.GetProperty("success").GetBoolean());
        Assert.Equal("42P01", failed.GetProperty("code").GetString());
        Assert.Equal("client_closed", doc.RootElement.GetProperty("session").GetProperty("end_reason").GetString());
    }

    [Fact]
    public async Task Play_MySqlSession_ShowsQueriesAndPreparedExecutesWithTheirParametersAndRows()
    {
        var user = await Cluster.AddUserAsync("pm" + Guid.NewGuid().ToString("N")[..9], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "my1", "alice", "app", protocol: "mysql");
        await using (var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds) + ";Pooling=false"))
        {
            await conn.OpenAsync();
            await using (var q = new MySqlCommand("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3", conn))
            await using (var reader = await q.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                }
            }

            await using var prepared = new MySqlCommand("SELECT @x + 1", conn);
            prepared.Parameters.AddWithValue("@x", 6);
            await prepared.PrepareAsync();
            Assert.Equal(7L, Convert.ToInt64(await prepared.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        var admin = await Cluster.AddUserAsync("pb" + Guid.NewGuid().ToString("N")[..9], "admin");
        using var cli = new FerryCli(Cluster);
        Assert.Equal(0, (await cli.LoginWithPreviousCodeAsync(admin)).ExitCode);
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        var sessionId = await EndedSessionIdAsync(Cluster, api, user.User);

        var text = await cli.RunCheckedAsync("play", sessionId, "--speed", "0");

        Assert.Contains("db my1 (mysql, alice@app)", text, StringComparison.Ordinal);
        Assert.Contains("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3", text, StringComparison.Ordinal);
        Assert.Contains("→ 3 rows", text, StringComparison.Ordinal);
        Assert.Contains("(COM_STMT_EXECUTE)", text, StringComparison.Ordinal);
        Assert.Contains("params: $1='6'", text, StringComparison.Ordinal);
        Assert.Contains(": client_closed", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Play_WithoutAuditSearch_IsRefused()
    {
        var user = await Cluster.AddUserAsync("pn" + Guid.NewGuid().ToString("N")[..9], "developer", "db_users=alice");
        using var cli = new FerryCli(Cluster);
        Assert.Equal(0, (await cli.LoginWithPreviousCodeAsync(user)).ExitCode);

        var (code, output) = await cli.RunAsync(["play", "01JD3Z8Y6X4T2W0V9R7Q5P3N1M", "--speed", "0"]);

        Assert.Equal(1, code);
        Assert.Contains("audit_search", output, StringComparison.Ordinal);
    }
}
