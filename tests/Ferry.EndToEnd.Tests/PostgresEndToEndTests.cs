using System.Diagnostics;
using System.Text.Json;
using Ferry.Testing;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

public sealed partial class PostgresEndToEndTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private async Task<FerryCluster.Credentials> LoginAsync(string service = "pg1", string roles = "developer")
    {
        var user = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], roles, "db_users=alice");
        return await Cluster.LoginAsync(user, service, "alice", "app");
    }

    [Fact]
    public async Task Psql_ThroughProxyTunnelAndAgent_ReachesTheDatabaseAsTheAllowedUser()
    {
        var creds = await LoginAsync();
        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT current_user || '|' || current_database() || '|' || (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())");
        Assert.True(code == 0, output);
        Assert.Equal("alice|app|true", output.Trim());
    }

    [Fact]
    public async Task Queries_AreAudited_AndSearchableByAnAdmin()
    {
        var creds = await LoginAsync();
        var marker = "audit_marker_" + Guid.NewGuid().ToString("N")[..8];
        var (code, output) = await Cluster.PsqlAsync(creds, $"SELECT '{marker}'");
        Assert.True(code == 0, output);

        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string body = "";
        while (DateTime.UtcNow < deadline)
        {
            body = await api.GetStringAsync($"/v1/audit/search?contains={marker}&since=1h");
            if (body.Contains(marker, StringComparison.Ordinal))
            {
                break;
            }
            await Task.Delay(250);
        }
        Assert.Contains(marker, body);
        Assert.Contains("db.session.query", body);
        Assert.Contains("\"db_user\":\"alice\"", body);
        Assert.Contains("\"db_service\":\"pg1\"", body);

        var (code2, verify) = await ProcessRunner.RunAsync(Binaries.Ferryd, ["audit", "verify", "--data-dir", Cluster.DataDir]);
        Assert.True(code2 == 0, verify);
        Assert.Contains("chain intact", verify);
    }

    [Fact]
    public async Task DeniedDbUser_IsRefusedWith28000_NamingTheRule()
    {
        var creds = await LoginAsync();
        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1", user: "postgres");
        Assert.NotEqual(0, code);
        Assert.Contains("denied", output);
        Assert.Contains("postgres", output);

        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds, user: "postgres"));
        var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
        Assert.Equal("28000", ex.SqlState);
    }

    [Fact]
    public async Task DeniedLabel_IsRefusedWith28000_NamingTheDenyRule()
    {
        var creds = await LoginAsync("pgprod");
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
        Assert.Equal("28000", ex.SqlState);
        Assert.Contains("developer", ex.MessageText);
        Assert.Contains("env", ex.MessageText);
    }

    [Fact]
    public async Task CertificateFromAnotherCa_IsRefusedWithAPreciseMessage()
    {
        using var pki = new TestPki("not ferry");
        var dir = Directory.CreateTempSubdirectory("ferry-foreign-").FullName;
        var (cert, key) = TestPki.WriteClientFiles(dir, "foreign", pki.IssueClient("alice"));
        var foreign = new FerryCluster.Credentials(cert, key, null!);
        var (code, output) = await Cluster.PsqlAsync(foreign, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("ferry:", output);
        Assert.Contains("CA", output, StringComparison.OrdinalIgnoreCase);
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task PlainTextStartup_IsRefusedAskingForTls()
    {
        var (code, output) = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [$"host=127.0.0.1 port={Cluster.ProxyPort} user=alice dbname=app sslmode=disable", "-c", "SELECT 1"]);
        Assert.NotEqual(0, code);
        Assert.Contains("TLS is required", output);
    }

    [Theory]
    [InlineData("simple")]
    [InlineData("extended")]
    [InlineData("prepared")]
    public async Task Pgbench_RunsEveryQueryMode_ThroughTheProxy(string mode)
    {
        var creds = await LoginAsync();
        var pgbench = Path.Combine(PostgresServer.BinDirectory, "pgbench");
        var conn = Cluster.ConnectionString(creds);
        var init = await ProcessRunner.RunAsync(pgbench, ["-i", "-s", "1", "-q", "--no-vacuum", conn], TimeSpan.FromMinutes(3));
        Assert.True(init.ExitCode == 0, init.Output);
        var run = await ProcessRunner.RunAsync(pgbench, ["-M", mode, "-c", "2", "-t", "100", "-n", conn], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("number of transactions actually processed: 200/200", run.Output);
    }

    [Fact]
    public async Task Npgsql_CancelOfPgSleep_ReturnsPromptly_ThroughAMintedKey()
    {
        var creds = await LoginAsync();
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(30)", conn);
        var sw = Stopwatch.StartNew();
        var run = cmd.ExecuteNonQueryAsync();
        // Cancel only once the backend is really sleeping (a cancel for an idle backend is ignored).
        await using (var watcher = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds)))
        {
            await watcher.OpenAsync();
            for (var i = 0; i < 200; i++)
            {
                await using var probe = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(30)'", watcher);
                if ((long)(await probe.ExecuteScalarAsync())! > 0)
                {
                    break;
                }
                await Task.Delay(50);
            }
        }
        cmd.Cancel();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => run);
        sw.Stop();
        var pg = ex as PostgresException ?? ex.InnerException as PostgresException;
        Assert.True(pg is not null, ex.ToString());
        Assert.Equal("57014", pg.SqlState);
        // The sleep was 30 s: getting the cancellation back well before it proves the cancel reached the backend.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"cancel took {sw.Elapsed}");
        // The session survives a cancelled statement.
        await using var again = new NpgsqlCommand("SELECT 42", conn);
        Assert.Equal(42, (int)(await again.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Npgsql_HandlesErrorsMidTransaction_NoticesAndLargeRows()
    {
        var creds = await LoginAsync();
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        var notices = new List<string>();
        conn.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await conn.OpenAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var bad = new NpgsqlCommand("SELECT 1/0", conn, tx);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteScalarAsync());
            Assert.Equal("22012", ex.SqlState);
            await tx.RollbackAsync();
        }
        await using (var notice = new NpgsqlCommand("DO $$ BEGIN RAISE NOTICE 'hello from ferry'; END $$", conn))
        {
            await notice.ExecuteNonQueryAsync();
        }
        Assert.Contains("hello from ferry", notices);
        await using var big = new NpgsqlCommand("SELECT repeat('x', 20 * 1024 * 1024)", conn);
        var value = (string)(await big.ExecuteScalarAsync())!;
        Assert.Equal(20 * 1024 * 1024, value.Length);
        await using var multi = new NpgsqlCommand("SELECT 1; SELECT 2", conn);
        await using var reader = await multi.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal(2, reader.GetInt32(0));
    }
}
