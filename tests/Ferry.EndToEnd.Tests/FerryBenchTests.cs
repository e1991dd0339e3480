using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// <c>ferry bench</c> (the AOT binary) against a real cluster: real sessions through Ferry to PostgreSQL and MariaDB, every
/// statement in the audit; <c>ferry bench direct</c> at the fixture's PostgreSQL; and its figures against pgbench's on
/// the same workload.
/// </summary>
public sealed partial class FerryBenchTests(ClusterFixture fixture, ITestOutputHelper log) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private async Task<(FerryCli Cli, string User)> LoggedInAsync()
    {
        var cli = new FerryCli(Cluster);
        var user = await Cluster.AddUserAsync("b" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var (code, output) = await cli.LoginAsync(user);
        Assert.True(code == 0, output);
        return (cli, user.User);
    }

    private static JsonElement Report(int code, string output)
    {
        Assert.True(code == 0, "ferry bench failed: " + output);
        using var doc = JsonDocument.Parse(output.Trim());
        return doc.RootElement.Clone();
    }

    /// <summary>Statements of <paramref name="query"/> in the audit, as an admin sees them; waits until <paramref name="expected"/> arrived (or 30 s).</summary>
    private async Task<int> AuditedStatementsAsync(string marker, string query, long expected)
    {
        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        var count = 0;
        for (var attempt = 0; attempt < 120; attempt++)
        {
            var body = await api.GetStringAsync($"/v1/audit/search?contains={Uri.EscapeDataString(marker)}&since=1h&limit=5000");
            using var events = JsonDocument.Parse(body);
            count = events.RootElement.EnumerateArray().Count(e => e.GetProperty("type").GetString() == "db.session.query" && e.GetProperty("query").GetString() == query);
            if (count >= expected)
            {
                break;
            }

            await Task.Delay(250);
        }

        return count;
    }

    [Theory]
    [InlineData("pg1", "postgres", "SELECT '{0}' AS marker")]
    [InlineData("my1", "mysql", "SELECT '{0}' AS marker")]
    public async Task BenchDb_ThroughFerry_RunsRealSessions_AndEveryStatementIsAudited(string database, string protocol, string queryTemplate)
    {
        var (cli, _) = await LoggedInAsync();
        using var _cli = cli;
        var marker = "bench_" + Guid.NewGuid().ToString("N")[..10];
        var query = string.Format(CultureInfo.InvariantCulture, queryTemplate, marker);
        var (code, output) = await cli.RunAsync(["bench", "db", database, "--db-user", "alice", "--db-name", "app", "--clients", "4", "--duration", "2s", "--rate", "100", "--query", query, "--format", "json"]);
        var report = Report(code, output);
        Assert.Equal(protocol, report.GetProperty("protocol").GetString());
        Assert.Equal(4, report.GetProperty("clients").GetInt32());
        var transactions = report.GetProperty("transactions").GetInt64();
        Assert.InRange(transactions, 1, 201); // 100/s for 2 s on a fixed schedule
        Assert.Equal(0, report.GetProperty("error_count").GetInt64());
        Assert.True(report.GetProperty("tps").GetDouble() > 0);
        var latency = report.GetProperty("latency_ms");
        Assert.Equal(transactions, latency.GetProperty("count").GetInt64());
        Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p99").GetDouble());
        Assert.True(latency.GetProperty("p99").GetDouble() <= latency.GetProperty("max").GetDouble());
        Assert.Equal(4, report.GetProperty("connect_ms").GetProperty("count").GetInt64()); // one session per client

        // Every statement the bench ran went through Ferry and is in the audit, no more and no fewer.
        Assert.Equal(transactions, await AuditedStatementsAsync(marker, query, transactions));
    }

    [Fact]
    public async Task BenchDb_ClosedLoopWithConnectEach_ReportsConnectTimePerTransaction_AndExtendedProtocolWorksThroughFerry()
    {
        var (cli, _) = await LoggedInAsync();
        using var _cli = cli;
        var (code, output) = await cli.RunAsync(["bench", "db", "pg1", "--db-user", "alice", "--db-name", "app", "--clients", "2", "--duration", "1s", "--connect-each", "--protocol", "extended", "--format", "json"]);
        var report = Report(code, output);
        var transactions = report.GetProperty("transactions").GetInt64();
        Assert.True(transactions > 0, output);
        Assert.Equal(0, report.GetProperty("error_count").GetInt64());
        Assert.Equal("extended", report.GetProperty("query_protocol").GetString());
        Assert.True(report.GetProperty("connect_each").GetBoolean());
        Assert.Equal(transactions, report.GetProperty("connect_ms").GetProperty("count").GetInt64()); // a session per transaction
    }

    [Fact]
    public async Task BenchDb_ADatabaseError_IsCountedByCodeWithItsFirstMessage_AndTheRunGoesOn()
    {
        var (cli, _) = await LoggedInAsync();
        using var _cli = cli;
        var (code, output) = await cli.RunAsync(["bench", "db", "pg1", "--db-user", "alice", "--db-name", "app", "--clients", "2", "--duration", "1s", "--query", "SELECT * FROM no_such_table_for_bench", "--format", "json"]);
        var report = Report(code, output);
        Assert.Equal(0, report.GetProperty("transactions").GetInt64());
        var errors = report.GetProperty("errors").EnumerateArray().ToList();
        var error = Assert.Single(errors);
        Assert.Equal("42P01", error.GetProperty("code").GetString());
        Assert.Contains("no_such_table_for_bench", error.GetProperty("first_message").GetString());
        Assert.True(error.GetProperty("count").GetInt64() > 2, output); // both sessions carried on after the error
        Assert.Equal(2, report.GetProperty("connect_ms").GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task BenchDirect_AtThePostgresSocket_RunsWithoutFerry_AndTextOutputHasTheFigures()
    {
        using var cli = new FerryCli(Cluster);
        var conn = $"host={Cluster.Postgres.SocketDirectory} port={Cluster.Postgres.Port} user=postgres dbname=postgres";
        var (code, output) = await cli.RunAsync(["bench", "direct", conn, "--clients", "2", "--duration", "1s", "--format", "json"]);
        var report = Report(code, output);
        Assert.True(report.GetProperty("transactions").GetInt64() > 0, output);
        Assert.Equal(0, report.GetProperty("error_count").GetInt64());
        Assert.EndsWith("direct", report.GetProperty("target").GetString());

        var (textCode, text) = await cli.RunAsync(["bench", "--direct", conn, "--clients", "1", "--duration", "1s", "--protocol", "prepared"]);
        Assert.True(textCode == 0, text);
        Assert.Matches(@"transactions:\s+[1-9]\d*\s+\(\d+\.\d tps\)", text);
        Assert.Matches(@"latency ms:\s+p50 [\d.]+\s+p90 [\d.]+\s+p99 [\d.]+\s+p99\.9 [\d.]+\s+max", text);
        Assert.Contains("errors:        0", text);
        Assert.Contains("prepared protocol", text);
    }

    [Fact]
    public async Task BenchDirect_AWrongLogin_FailsAtOnceWithTheServersMessage()
    {
        using var cli = new FerryCli(Cluster);
        var (code, output) = await cli.RunAsync(["bench", "direct", $"host={Cluster.Postgres.SocketDirectory} port={Cluster.Postgres.Port} user=nobody_here dbname=postgres", "--duration", "10s"]);
        Assert.Equal(1, code);
        Assert.Contains("ferry: no session could be opened", output);
        Assert.Contains("nobody_here", output);
    }

    [Theory]
    [InlineData(new[] { "--clients", "0" }, "ferry: --clients must be 1-1024")]
    [InlineData(new[] { "--clients", "2000" }, "ferry: --clients must be 1-1024")]
    [InlineData(new[] { "--duration", "25h" }, "ferry: --duration must be more than 0 and at most 24h")]
    [InlineData(new[] { "--duration", "soon" }, "ferry: --duration \"soon\" is not a duration (e.g. 30s, 5m, 1h)")]
    [InlineData(new[] { "--rate", "0" }, "ferry: --rate must be more than 0")]
    [InlineData(new[] { "--warmup", "x" }, "ferry: --warmup \"x\" is not a duration (e.g. 2s)")]
    public async Task BadArguments_AreRefusedNamingTheOption_BeforeAnythingConnects(string[] extra, string expected)
    {
        using var cli = new FerryCli(Cluster);
        var (code, output) = await cli.RunAsync(["bench", "direct", "host=127.0.0.1 port=1 user=x", .. extra]);
        Assert.Equal(1, code);
        Assert.StartsWith(expected, output.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CtrlC_StopsTheRun_AndPrintsWhatWasMeasured()
    {
        using var cli = new FerryCli(Cluster);
        var conn = $"host={Cluster.Postgres.SocketDirectory} port={Cluster.Postgres.Port} user=postgres dbname=postgres";
        const string Query = "SELECT 1 AS ctrl_c_bench";
        using var running = await cli.StartAsync(["bench", "direct", conn, "--clients", "2", "--duration", "1h", "--query", Query], "Ctrl+C stops and reports");
        // Let it measure a little: until PostgreSQL has run its statement (a fixed pause may end before the first one
        // on a loaded machine, and the report would rightly show 0 transactions).
        for (var i = 0; i < 300 && !running.Process.HasExited
            && (await Cluster.Postgres.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '{Query}%'")).Trim() == "0"; i++)
        {
            await Task.Delay(100);
        }

        await ProcessRunner.RunCheckedAsync("kill", ["-INT", running.Process.Id.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(running.Process.WaitForExit(30_000), "ferry bench did not stop on SIGINT: " + running.Output);
        running.Process.WaitForExit();
        Assert.Equal(130, running.Process.ExitCode);
        Assert.Contains("(interrupted)", running.Output);
        Assert.Matches(@"transactions:\s+[1-9]\d*", running.Output);
    }

    /// <summary>
    /// The agreement check, by counts rather than timings (no timing threshold in a test): pgbench -S's query on a
    /// pgbench -i table, straight at PostgreSQL's socket, by pgbench and by <c>ferry bench direct</c>; the transactions
    /// ferry bench reports are the transactions PostgreSQL counted for the database (pg_stat_database.xact_commit,
    /// give or take the sessions' own start-up), and both figures go to the test output.
    /// </summary>
    [Fact]
    public async Task BenchDirect_AgreesWithPgbench_OnTheSameSelectOnlyWorkload()
    {
        var pg = Cluster.Postgres;
        await pg.PsqlAsync("DROP DATABASE IF EXISTS benchcmp");
        await pg.PsqlAsync("CREATE DATABASE benchcmp");
        var bin = PostgresServer.BinDirectory;
        var port = pg.Port.ToString(CultureInfo.InvariantCulture);
        string[] common = ["-h", pg.SocketDirectory, "-p", port, "-U", "postgres"];
        await ProcessRunner.RunCheckedAsync(Path.Combine(bin, "pgbench"), [.. common, "-i", "-s", "1", "-q", "benchcmp"], TimeSpan.FromMinutes(2));
        var (pgCode, pgOutput) = await ProcessRunner.RunAsync(Path.Combine(bin, "pgbench"), [.. common, "-S", "-n", "-c", "2", "-j", "2", "-T", "3", "benchcmp"], TimeSpan.FromMinutes(2));
        Assert.True(pgCode == 0, pgOutput);
        var pgTps = double.Parse(Regex.Match(pgOutput, @"tps = ([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);

        async Task<long> CommitsAsync()
        {
            var (c, o) = await ProcessRunner.RunAsync(Path.Combine(bin, "psql"), [.. common, "-X", "-A", "-t", "-d", "postgres", "-c", "SELECT xact_commit FROM pg_stat_database WHERE datname = 'benchcmp'"], TimeSpan.FromMinutes(1));
            Assert.True(c == 0, o);
            return long.Parse(o.Trim(), CultureInfo.InvariantCulture);
        }

        var before = await CommitsAsync();
        using var cli = new FerryCli(Cluster);
        var (code, output) = await cli.RunAsync(["bench", "direct", $"host={pg.SocketDirectory} port={port} user=postgres dbname=benchcmp",
            "--clients", "2", "--duration", "3s", "--warmup", "0s", "--query", "SELECT abalance FROM pgbench_accounts WHERE aid = 4242", "--format", "json"]);
        var report = Report(code, output);
        var transactions = report.GetProperty("transactions").GetInt64();
        Assert.Equal(0, report.GetProperty("error_count").GetInt64());
        Assert.True(transactions > 0, output);

        // Each session flushes its statistics when it ends; wait (bounded) until they are in.
        long counted = 0;
        for (var i = 0; i < 50 && counted < transactions; i++)
        {
            counted = await CommitsAsync() - before; // the counting session is in database postgres
            if (counted < transactions)
            {
                await Task.Delay(200);
            }
        }

        Console.WriteLine(FormattableString.Invariant($"pgbench -S direct: {pgTps:0} tps; ferry bench direct: {report.GetProperty("tps").GetDouble():0} tps, {transactions} transactions; PostgreSQL counted {counted}"));
        Assert.InRange(counted, transactions, transactions + 50); // a session's start-up runs a few transactions of its own
    }

    /// <summary>
    /// The same select-only workload through Ferry by pgbench (through the service `ferry db login` wrote) and by
    /// <c>ferry bench db</c>, and both directly: the figures go to the test output (perf/results records a run); the
    /// assertions are only that each ran without errors.
    /// </summary>
    [Fact]
    public async Task ThroughFerryAndDirect_PgbenchAndFerryBench_RunTheSameWorkload_FiguresInTheOutput()
    {
        var pg = Cluster.Postgres;
        var bin = PostgresServer.BinDirectory;
        var port = pg.Port.ToString(CultureInfo.InvariantCulture);
        await ProcessRunner.RunCheckedAsync(Path.Combine(bin, "pgbench"), ["-h", pg.SocketDirectory, "-p", port, "-U", "postgres", "-i", "-s", "1", "-q", "app"], TimeSpan.FromMinutes(2));
        await pg.PsqlAsync("GRANT SELECT ON pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history TO alice", "app");
        const string Query = "SELECT abalance FROM pgbench_accounts WHERE aid = 4242";
        const string Clients = "4";
        const string Seconds = "5";

        var (cli, _) = await LoggedInAsync();
        using var _cli = cli;
        await cli.RunCheckedAsync("db", "login", "pg1", "--db-user", "alice", "--db-name", "app");
        var env = cli.Environment();
        env["PGSERVICE"] = "ferry-pg1";
        var (viaCode, viaOutput) = await ProcessRunner.RunAsync(Path.Combine(bin, "pgbench"), ["-S", "-n", "-c", Clients, "-j", Clients, "-T", Seconds, "app"], TimeSpan.FromMinutes(2), environment: env);
        Assert.True(viaCode == 0, viaOutput);
        var (directCode, directOutput) = await ProcessRunner.RunAsync(Path.Combine(bin, "pgbench"), ["-h", pg.SocketDirectory, "-p", port, "-U", "postgres", "-S", "-n", "-c", Clients, "-j", Clients, "-T", Seconds, "app"], TimeSpan.FromMinutes(2));
        Assert.True(directCode == 0, directOutput);

        var (c1, o1) = await cli.RunAsync(["bench", "db", "pg1", "--db-user", "alice", "--db-name", "app", "--clients", Clients, "--duration", Seconds + "s", "--query", Query, "--format", "json"]);
        var via = Report(c1, o1);
        var (c2, o2) = await cli.RunAsync(["bench", "direct", $"host={pg.SocketDirectory} port={port} user=postgres dbname=app", "--clients", Clients, "--duration", Seconds + "s", "--query", Query, "--format", "json"]);
        var direct = Report(c2, o2);
        Assert.Equal(0, via.GetProperty("error_count").GetInt64());
        Assert.Equal(0, direct.GetProperty("error_count").GetInt64());

        static string Tps(string pgbench) => Regex.Match(pgbench, @"tps = ([\d.]+)").Groups[1].Value;
        static string Line(JsonElement r) => string.Create(CultureInfo.InvariantCulture,
            $"{r.GetProperty("tps").GetDouble():0.0} tps, p50 {r.GetProperty("latency_ms").GetProperty("p50").GetDouble():0.###} ms, p99 {r.GetProperty("latency_ms").GetProperty("p99").GetDouble():0.###} ms, connect p50 {r.GetProperty("connect_ms").GetProperty("p50").GetDouble():0.###} ms");
        log.WriteLine($"clients {Clients}, {Seconds} s, select-only (pgbench -S; ferry bench --query \"{Query}\")");
        log.WriteLine($"direct (Unix socket)   pgbench: {Tps(directOutput)} tps   ferry bench direct: {Line(direct)}");
        log.WriteLine($"through Ferry          pgbench: {Tps(viaOutput)} tps   ferry bench db:     {Line(via)}");
        log.WriteLine("pgbench direct:\n" + directOutput + "\npgbench through Ferry:\n" + viaOutput);
    }
}
