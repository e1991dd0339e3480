using System.Diagnostics;
using System.Globalization;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>The auth service, its in-process proxy and two standalone proxies that list themselves to agents.</summary>
public sealed class ProxyMeshFixture : IAsyncLifetime
{
    public FerryCluster Cluster { get; private set; } = null!;

    public FerryCluster.MeshProxy Proxy1 { get; private set; } = null!;

    public FerryCluster.MeshProxy Proxy2 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await FerryCluster.StartAsync();
        Proxy1 = await Cluster.StartMeshProxyAsync("mesh-proxy1");
        Proxy2 = await Cluster.StartMeshProxyAsync("mesh-proxy2");
    }

    public async Task DisposeAsync()
    {
        Proxy1?.Dispose();
        Proxy2?.Dispose();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Several proxies (issue 24): an agent configured with one proxy learns the others from the auth service and keeps a
/// tunnel to each; a proxy killed under pgbench load leaves the sessions on the other alone and the agent back on it
/// within seconds of its restart; a CancelRequest sent to another proxy than its session's still cancels it; two agents
/// the operator let serve one database name are one entry, and new sessions go to the one left when the other dies.
/// </summary>
public sealed class ProxyMeshEndToEndTests(ProxyMeshFixture fixture) : IClassFixture<ProxyMeshFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task AgentGivenOnlyProxy1_ReachesBoth_CancelsAcrossProxies_AndSurvivesAProxyKill()
    {
        var (p1, p2) = (fixture.Proxy1, fixture.Proxy2);
        using var agent = await Cluster.StartMeshAgentAsync("mesh-agent", p1.Port, "pgmesh");
        string Logs() => $"\nagent:\n{agent.Log}\nproxy1:\n{p1.Log}\nproxy2:\n{p2.Log}";
        var user = await Cluster.AddUserAsync("mesh" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pgmesh", "alice", "app");

        // Configured with proxy 1 only, the agent learns proxy 2 from the auth service and dials it too.
        Assert.True(await EventuallyAsync(() => agent.Log.Contains($"keeping a tunnel to proxy", StringComparison.Ordinal) && agent.Log.Contains($"127.0.0.1:{p2.Port}", StringComparison.Ordinal), TimeSpan.FromSeconds(40)),
            "the agent never added a tunnel to proxy 2" + Logs());
        foreach (var port in new[] { p1.Port, p2.Port })
        {
            Assert.True(await ReachableAsync(creds, port, TimeSpan.FromSeconds(30)), $"psql through 127.0.0.1:{port} never worked" + Logs());
        }

        // A pg_sleep(30) through proxy 1, cancelled by a CancelRequest sent to proxy 2.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await using var pg = await RawPostgres.StartAsync(p1.Port, creds.Certificate, [("user", "alice"), ("database", "app")], timeout.Token);
            Assert.Null(pg.StartupError);
            var sleeping = pg.ScalarAsync("SELECT pg_sleep(30)", timeout.Token);
            // Cancel only once PostgreSQL runs the statement: a cancel that arrives before it is a no-op, and the
            // statement would then run its 30 s to the end (a fixed pause was not enough on a loaded machine).
            Assert.True(await EventuallyAsync(async () => (await Cluster.Postgres.PsqlAsync(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'")).Trim() == "1", TimeSpan.FromSeconds(30)),
                "the pg_sleep(30) never started in PostgreSQL" + Logs());
            var clock = Stopwatch.StartNew();
            await RawPostgres.CancelAsync(p2.Port, pg.ProcessId, pg.SecretKey, timeout.Token);
            var error = await Assert.ThrowsAsync<IOException>(() => sleeping);
            Assert.Contains("canceling statement due to user request", error.Message, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the cancel took {clock.Elapsed}");
        }

        // pgbench through both proxies; proxy 1 is killed (-9) in the middle of the run.
        var script = Path.Combine(Cluster.Root, "mesh-bench.sql");
        await File.WriteAllTextAsync(script, "SELECT pg_sleep(0.005);\n");
        var pgbench = Path.Combine(PostgresServer.BinDirectory, "pgbench");
        Task<(int ExitCode, string Output)> Bench(int port) =>
            ProcessRunner.RunAsync(pgbench, ["-n", "-c", "2", "-T", "12", "-f", script, Cluster.ConnectionString(creds, port)], TimeSpan.FromMinutes(2));
        var via1 = Bench(p1.Port);
        var via2 = Bench(p2.Port);
        await Task.Delay(4000);
        p1.Kill();
        var (code2, out2) = await via2;
        var (code1, out1) = await via1;
        Assert.True(code2 == 0, "pgbench through proxy 2 failed when proxy 1 died:\n" + out2 + Logs());
        Assert.DoesNotContain("aborted", out2, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(0, code1); // its sessions went with proxy 1

        // A new connection to the dead proxy fails fast; the same one through proxy 2 works.
        var dial = Stopwatch.StartNew();
        var (deadCode, deadOutput) = await Cluster.PsqlAsync(creds, p1.Port, "SELECT 1");
        Assert.NotEqual(0, deadCode);
        Assert.True(dial.Elapsed < TimeSpan.FromSeconds(10), $"psql to the dead proxy took {dial.Elapsed}: {deadOutput}");
        var (liveCode, liveOutput) = await Cluster.PsqlAsync(creds, p2.Port, "SELECT 41 + 1");
        Assert.True(liveCode == 0, liveOutput + Logs());
        Assert.Equal("42", liveOutput.Trim());

        // Proxy 1 comes back: the agent is on it again within seconds (jittered backoff, capped at 3 s).
        await p1.StartAsync();
        var back = Stopwatch.StartNew();
        Assert.True(await ReachableAsync(creds, p1.Port, TimeSpan.FromSeconds(30)), "the agent never came back to proxy 1" + Logs());
        Assert.True(back.Elapsed < TimeSpan.FromSeconds(15), $"the agent took {back.Elapsed} to come back to proxy 1");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mesh: back on proxy 1 {back.Elapsed.TotalSeconds:0.0}s after its restart"));
    }

    [Fact]
    public async Task TwoAgentsSharingADatabase_OnlyOnceAllowed_ThenNewSessionsGoToTheOneLeft()
    {
        var p2 = fixture.Proxy2;
        using var first = await Cluster.StartMeshAgentAsync("ha-agent-1", p2.Port, "pgha");
        var user = await Cluster.AddUserAsync("ha" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pgha", "alice", "app");
        Assert.True(await ReachableAsync(creds, p2.Port, TimeSpan.FromSeconds(30)), "pgha never reachable\n" + first.Log + p2.Log);

        // A second agent claiming the name is refused until an administrator shares it.
        using var second = await Cluster.StartMeshAgentAsync("ha-agent-2", p2.Port, "pgha");
        Assert.True(await EventuallyAsync(() => second.Log.Contains("already served by agent \"ha-agent-1\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
            "the unshared claim was not refused\n" + second.Log);
        var shared = await Cluster.AdminAsync("hosts", "share", "pgha", "ha-agent-2");
        Assert.Contains("may now be served by agent ha-agent-2", shared, StringComparison.Ordinal);

        // The proxy follows the binding at once; ha-agent-1 dies: new sessions go to ha-agent-2.
        await Task.Delay(2000);
        first.Stop(9, TimeSpan.FromSeconds(10));
        Assert.True(await ReachableAsync(creds, p2.Port, TimeSpan.FromSeconds(30)), "no session through the agent left\n" + second.Log + p2.Log);
        for (var i = 0; i < 5; i++)
        {
            var (code, output) = await Cluster.PsqlAsync(creds, p2.Port, "SELECT 1");
            Assert.True(code == 0, output + second.Log);
        }

        // Unshared again, the agent left no longer serves the name.
        await Cluster.AdminAsync("hosts", "unshare", "pgha", "ha-agent-2");
        Assert.True(await EventuallyAsync(async () => (await Cluster.PsqlAsync(creds, p2.Port, "SELECT 1")).Code != 0, TimeSpan.FromSeconds(20)),
            "the unshared agent still serves pgha");
    }

    private async Task<bool> ReachableAsync(FerryCluster.Credentials creds, int port, TimeSpan limit) =>
        await EventuallyAsync(async () => (await Cluster.PsqlAsync(creds, port, "SELECT 1")).Code == 0, limit);

    /// <summary>Polls <paramref name="condition"/> every 250 ms until it holds (true) or <paramref name="limit"/> has passed (its last answer).</summary>
    internal static Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan limit) => EventuallyAsync(() => Task.FromResult(condition()), limit);

    internal static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return await condition();
    }
}
