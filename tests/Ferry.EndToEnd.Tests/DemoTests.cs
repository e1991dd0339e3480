using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>The quickstart a newcomer runs: <c>scripts/demo --once</c> must get through every step.</summary>
public sealed class DemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DemoOnce_RunsEveryStep_AndCleansUp()
    {
        var repo = Binaries.RepositoryRoot;
        var dir = Path.Combine(Path.GetTempPath(), "ferry-demo-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, text) = await ProcessRunner.RunAsync("/usr/bin/env",
            ["FERRY_DEMO_DIR=" + dir, "bash", Path.Combine(repo, "scripts", "demo"), "--once"], TimeSpan.FromMinutes(8));
        output.WriteLine(text);
        Assert.True(code == 0, text);
        // What a newcomer should have seen: both databases listed, rows from each, the session's statements.
        Assert.Contains("pg-demo", text);
        Assert.Contains("mysql-demo", text);
        Assert.Contains("croissant", text);
        Assert.Contains("Grace", text);
        Assert.Contains("UPDATE orders SET amount", text);
        Assert.Contains("chain intact", text);
        // The access request step: bob approved alice's request for pg-prod, and her psql read it.
        Assert.Contains("Access requests: ", text);
        Assert.Contains("Crumbs Ltd", text);
        Assert.Contains("ferry_queries_total{database=\"pg-demo\",protocol=\"postgres\"}", text);
        Assert.Contains("--once: every step succeeded", text);
        Assert.False(Directory.Exists(dir), "the demo left its directory behind");
    }

    [Fact]
    public async Task DemoOnceSso_LogsInThroughTheProviderWithChromium_AndQueriesThroughFerry()
    {
        var repo = Binaries.RepositoryRoot;
        var dir = Path.Combine(Path.GetTempPath(), "ferry-demo-sso-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, text) = await ProcessRunner.RunAsync("/usr/bin/env",
            ["FERRY_DEMO_DIR=" + dir, "bash", Path.Combine(repo, "scripts", "demo"), "--once", "--sso"], TimeSpan.FromMinutes(8));
        output.WriteLine(text);
        Assert.True(code == 0, text);
        Assert.Contains("as alice@example.com via single sign-on (demo-idp) (roles: sso-developer)", text);
        Assert.Contains("browser: final-text=Logged in", text);
        Assert.Contains("croissant", text);
        Assert.Contains("Grace", text);
        Assert.Contains("UPDATE orders SET amount", text);
        Assert.Contains("--once: every step succeeded", text);
        Assert.False(Directory.Exists(dir), "the demo left its directory behind");
    }

    [Fact]
    public async Task DemoHa_TwoAuthServersTwoProxiesOneAgent_PsqlThroughEachProxy_ThenCtrlCStopsEverything()
    {
        var repo = Binaries.RepositoryRoot;
        var dir = Path.Combine(Path.GetTempPath(), "ferry-demo-ha-" + Guid.NewGuid().ToString("N")[..8]);
        // SIGINT at its default, as in a terminal: a test runner started in the background (`cmd &` ignores SIGINT)
        // passes the ignored signal on, and bash can neither trap nor reset a signal ignored when it starts.
        using var demo = ManagedServerProcess.Start("/usr/bin/env", ["--default-signal=INT", "FERRY_DEMO_DIR=" + dir, "bash", Path.Combine(repo, "scripts", "demo"), "--ha"]);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(8);
        while (!demo.Log.Contains("Press Ctrl-C", StringComparison.Ordinal))
        {
            Assert.False(demo.HasExited || DateTime.UtcNow > deadline, "scripts/demo --ha did not come up:\n" + demo.Log);
            await Task.Delay(500);
        }
        output.WriteLine(demo.Log);

        // .demo/env: the pids of the 2 auth servers and the 2 proxies, and the proxies' addresses.
        var env = File.ReadAllLines(Path.Combine(dir, "env"))
            .Where(l => l.StartsWith("export ", StringComparison.Ordinal))
            .Select(l => l["export ".Length..].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1].Trim('"'), StringComparer.Ordinal);
        var authPids = env["FERRY_HA_AUTH_PIDS"].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var proxyPids = env["FERRY_HA_PROXY_PIDS"].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var proxies = env["FERRY_HA_PROXIES"].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, authPids.Length);
        Assert.Equal(2, proxyPids.Length);
        Assert.Equal(2, proxies.Length);
        Assert.All(authPids.Concat(proxyPids), pid => Assert.True(Running(pid), $"pid {pid} is not running"));

        // A psql session through each proxy, with the service file `ferry db login` wrote.
        foreach (var proxy in proxies)
        {
            var (host, port) = (proxy[..proxy.LastIndexOf(':')], proxy[(proxy.LastIndexOf(':') + 1)..]);
            var (code, text) = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
                [$"service=ferry-pg-demo host={host} port={port}", "-X", "-A", "-t", "-c", "SELECT item FROM orders WHERE id = 2"],
                TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["PGSERVICEFILE"] = env["PGSERVICEFILE"] });
            Assert.True(code == 0, $"psql through {proxy}: {text}\n{demo.Log}");
            Assert.Equal("croissant", text.Trim());
        }

        // Ctrl-C: everything stopped, the directory gone.
        demo.Stop(2, TimeSpan.FromSeconds(60));
        output.WriteLine(demo.Log);
        Assert.Contains("removed " + dir, demo.Log, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir), "the demo left its directory behind");
        foreach (var pid in authPids.Concat(proxyPids))
        {
            for (var i = 0; i < 50 && Running(pid); i++)
            {
                await Task.Delay(100);
            }
            Assert.False(Running(pid), $"pid {pid} still runs after Ctrl-C");
        }
    }

    /// <summary>Whether process <paramref name="pid"/> exists and is not a zombie waiting to be reaped.</summary>
    private static bool Running(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
