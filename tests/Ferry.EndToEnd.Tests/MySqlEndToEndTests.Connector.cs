using MySqlConnector;

namespace Ferry.EndToEnd.Tests;

public sealed partial class MySqlEndToEndTests
{
    [Fact]
    public async Task MySqlConnector_Streams100MegabytesOfRows_AndARowLargerThanOnePacket()
    {
        var creds = await LoginAsync();
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();
        await using (var cmd = new MySqlCommand("SELECT seq, REPEAT('x', 1048576) FROM seq_1_to_100", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            long bytes = 0, rows = 0;
            while (await reader.ReadAsync())
            {
                rows++;
                bytes += reader.GetString(1).Length;
            }
            Assert.Equal(100, rows);
            Assert.Equal(100L * 1048576, bytes);
        }
        // 20 MiB in one row: the server splits it into 0xFFFFFF-byte continuation packets.
        await using var big = new MySqlCommand("SELECT REPEAT('y', 20971520)", conn);
        var value = (string)(await big.ExecuteScalarAsync())!;
        Assert.Equal(20971520, value.Length);
        // A 20 MiB statement from the client: continuation packets on the way in, audited truncated.
        var marker = "big_" + Guid.NewGuid().ToString("N")[..8];
        await using var longQuery = new MySqlCommand($"SELECT '{marker}', LENGTH('{new string('q', 20 * 1024 * 1024)}')", conn);
        await using (var reader = await longQuery.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(20L * 1024 * 1024, reader.GetInt64(1));
        }
        var audit = await SearchAuditAsync(marker);
        Assert.Contains("\"truncated\":true", audit);
        Assert.Contains($"\"query_length\":{20 * 1024 * 1024 + 33}", audit); // SELECT 'big_xxxxxxxx', LENGTH('…') around the 20 MiB literal
        await using var after = new MySqlCommand("SELECT 42", conn);
        Assert.Equal(42L, Convert.ToInt64(await after.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task MySqlConnector_PreparedStatements_RunAndAreAuditedWithDecodedParameters()
    {
        var creds = await LoginAsync();
        var marker = "prep_" + Guid.NewGuid().ToString("N")[..8];
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds) + ";IgnorePrepare=false");
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("SELECT CONCAT(@a, '-', @b), @c + 1", conn);
        cmd.Parameters.AddWithValue("@a", marker);
        cmd.Parameters.AddWithValue("@b", 12345);
        cmd.Parameters.AddWithValue("@c", 41.5);
        await cmd.PrepareAsync();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal($"{marker}-12345", reader.GetString(0));
            Assert.Equal(42.5, reader.GetDouble(1));
        }
        cmd.Parameters["@b"].Value = 777;
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal($"{marker}-777", reader.GetString(0));
        }

        var audit = await SearchUserAuditAsync(UserOf(creds), "777");
        using var events = System.Text.Json.JsonDocument.Parse(audit);
        var byType = events.RootElement.EnumerateArray().ToLookup(e => e.GetProperty("type").GetString());
        var prepare = Assert.Single(byType["db.session.mysql.statements.prepare"]);
        Assert.Equal("SELECT CONCAT(?, '-', ?), ? + 1", prepare.GetProperty("query").GetString());
        var executes = byType["db.session.mysql.statements.execute"].ToList();
        Assert.Equal(2, executes.Count);
        var parameters = executes.Select(e => string.Join(" ", e.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()))).ToList();
        Assert.Contains($"'{marker}' 12345 41.5", parameters);
        Assert.Contains($"'{marker}' 777 41.5", parameters);
        Assert.All(executes, e => Assert.True(e.GetProperty("statement_id").GetInt64() > 0));
    }

    [Fact]
    public async Task KillQuery_FromASecondConnection_InterruptsTheRunningQuery()
    {
        var creds = await LoginAsync();
        await using var victim = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await victim.OpenAsync();
        var greetedId = victim.ServerThread;
        await using var cmd = new MySqlCommand("SELECT SLEEP(120)", victim);
        var running = cmd.ExecuteScalarAsync();
        await WaitForSleepAsync(creds);

        var (code, output) = await Cluster.MySqlAsync(creds, $"KILL QUERY {greetedId}");
        Assert.True(code == 0, output);
        // MariaDB interrupts the SLEEP with ER_QUERY_INTERRUPTED, long before its 120 s.
        var ex = await Assert.ThrowsAsync<MySqlException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(MySqlErrorCode.QueryInterrupted, ex.ErrorCode);
        await using var again = new MySqlCommand("SELECT 7", victim);
        Assert.Equal(7L, Convert.ToInt64(await again.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task MySqlConnectorCancel_UsesKillQuery_AndInterruptsTheRunningQuery()
    {
        var creds = await LoginAsync();
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("SELECT SLEEP(120)", conn);
        using var cts = new CancellationTokenSource();
        var running = cmd.ExecuteScalarAsync(cts.Token);
        await WaitForSleepAsync(creds);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        await using var again = new MySqlCommand("SELECT 8", conn);
        Assert.Equal(8L, Convert.ToInt64(await again.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task WaitForSleepAsync(FerryCluster.Credentials creds)
    {
        for (var i = 0; i < 100; i++)
        {
            var (_, list) = await Cluster.MySqlAsync(creds, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(120)%'");
            if (list.Trim() == "1")
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the SLEEP query never showed in the process list");
    }
}
