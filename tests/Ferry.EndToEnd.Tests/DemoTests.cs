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
}
