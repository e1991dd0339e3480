using System.Globalization;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Server-connection reuse (<c>pool</c> on database <c>pgpool</c>, max_idle 2): which connections are
/// reused, that reuse leaks no session state, and that a connection the server dropped is not handed out.
/// </summary>
public sealed partial class PostgresEndToEndTests
{
    private async Task<(NpgsqlConnection Conn, int Pid)> OpenPooledAsync(FerryCluster.Credentials creds, string application = "pooltest")
    {
        var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds) + ";Application Name=" + application);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", conn);
        return (conn, (int)(await cmd.ExecuteScalarAsync())!);
    }

    private static async Task<string?> ScalarAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToString(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the server process is idle after the agent's reset (pooled), as PostgreSQL itself reports it.</summary>
    private Task WaitPooledAsync(int pid) => WaitActivityAsync(pid, "idle|DISCARD ALL", "was not reset for reuse");

    /// <summary>Waits until server process <paramref name="pid"/> runs <paramref name="sql"/> (a cancel that arrives before the statement is a no-op).</summary>
    private Task WaitRunningAsync(int pid, string sql) => WaitActivityAsync(pid, "active|" + sql, "never ran " + sql);

    /// <summary>Waits until pg_stat_activity shows <c>state|query</c> <paramref name="expected"/> for server process <paramref name="pid"/>.</summary>
    private async Task WaitActivityAsync(int pid, string expected, string failure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var seen = "";
        while (DateTime.UtcNow < deadline)
        {
            seen = (await Cluster.Postgres.PsqlAsync($"SELECT state || '|' || query FROM pg_stat_activity WHERE pid = {pid}")).Trim();
            if (seen == expected)
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"backend {pid} {failure}: pg_stat_activity says '{seen}'");
    }

    private async Task WaitGoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if ((await Cluster.Postgres.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}")).Trim() == "0")
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"backend {pid} was kept after a session that did not end idle");
    }

    [Fact]
    public async Task Pool_ReusesTheServerConnection_WithNoSessionStateLeft()
    {
        var creds = await LoginAsync("pgpool");
        var app = "reuse" + Guid.NewGuid().ToString("N")[..6];
        var (first, pid) = await OpenPooledAsync(creds, app);
        await using (first)
        {
            await using var cmd = new NpgsqlCommand(
                "SET work_mem = '7MB'; CREATE TEMP TABLE leak(x int); PREPARE leaked AS SELECT 1; SELECT pg_advisory_lock(4242); LISTEN leak_channel", first);
            await cmd.ExecuteNonQueryAsync();
            Assert.Equal("7MB", await ScalarAsync(first, "SHOW work_mem"));
        }
        await WaitPooledAsync(pid);

        var (second, pid2) = await OpenPooledAsync(creds, app);
        await using (second)
        {
            Assert.Equal(pid, pid2);
            Assert.Equal("alice|app", await ScalarAsync(second, "SELECT current_user || '|' || current_database()"));
            Assert.Equal("4MB", await ScalarAsync(second, "SHOW work_mem"));
            Assert.Equal("True", await ScalarAsync(second, "SELECT to_regclass('pg_temp.leak') IS NULL"));
            Assert.Equal("0", await ScalarAsync(second, "SELECT count(*) FROM pg_prepared_statements"));
            Assert.Equal("0", await ScalarAsync(second, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"));
            Assert.Equal("0", await ScalarAsync(second, "SELECT count(*) FROM pg_listening_channels()"));
            Assert.Equal(app, await ScalarAsync(second, "SHOW application_name"));
        }
    }

    [Fact]
    public async Task Pool_ClosesAConnectionLeftInATransaction_AndKeysOnStartupParameters()
    {
        var creds = await LoginAsync("pgpool");
        var app = "tx" + Guid.NewGuid().ToString("N")[..6];
        var (inTx, txPid) = await OpenPooledAsync(creds, app);
        await using (inTx)
        {
            await using var begin = new NpgsqlCommand("BEGIN; CREATE TEMP TABLE half(x int)", inTx);
            await begin.ExecuteNonQueryAsync();
        }
        // Terminate arrived with the transaction open ('T'): the server connection is closed, not pooled.
        await WaitGoneAsync(txPid);

        var (a, pidA) = await OpenPooledAsync(creds, app);
        await a.DisposeAsync();
        await WaitPooledAsync(pidA);
        // Another application_name is another key: a new server connection, the idle one stays.
        var (b, pidB) = await OpenPooledAsync(creds, app + "-other");
        await using (b)
        {
            Assert.NotEqual(pidA, pidB);
        }
        var (again, pidAgain) = await OpenPooledAsync(creds, app);
        await using (again)
        {
            Assert.Equal(pidA, pidAgain);
        }
    }

    [Fact]
    public async Task Pool_DropsAConnectionTheServerEndedWhileIdle_AndCancelReachesAPooledConnection()
    {
        var creds = await LoginAsync("pgpool");
        var app = "kill" + Guid.NewGuid().ToString("N")[..6];
        var (first, pid) = await OpenPooledAsync(creds, app);
        await first.DisposeAsync();
        await WaitPooledAsync(pid);
        await Cluster.Postgres.PsqlAsync($"SELECT pg_terminate_backend({pid})");
        await WaitGoneAsync(pid);

        // The killed connection is not handed out: the next session works on a new one.
        var (second, pid2) = await OpenPooledAsync(creds, app);
        await second.DisposeAsync();
        Assert.NotEqual(pid, pid2);
        await WaitPooledAsync(pid2);

        var (third, pid3) = await OpenPooledAsync(creds, app);
        await using (third)
        {
            Assert.Equal(pid2, pid3);
            await using var sleep = new NpgsqlCommand("SELECT pg_sleep(60)", third);
            var running = sleep.ExecuteScalarAsync();
            await WaitRunningAsync(pid3, "SELECT pg_sleep(60)");
            sleep.Cancel();
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => running);
            var pg = ex as PostgresException ?? ex.InnerException as PostgresException;
            Assert.True(pg is not null, ex.ToString());
            Assert.Equal("57014", pg.SqlState);
            Assert.Equal("1", await ScalarAsync(third, "SELECT 1"));
        }
    }
}
