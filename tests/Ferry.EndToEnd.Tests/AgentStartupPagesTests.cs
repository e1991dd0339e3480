using System.Text.RegularExpressions;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// ferry-agent gives back the read-only pages only its start-up needed once its tunnel is up (issue 27: idle RSS),
/// and keeps serving sessions afterwards: code that runs again faults its pages back from the page cache.
/// </summary>
[Collection("standalone agent")]
public sealed partial class AgentStartupPagesTests(StandaloneClusterFixture fixture, ITestOutputHelper output) : IClassFixture<StandaloneClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    [GeneratedRegex(@"start-up pages released: (\d+) KiB resident in (\d+) read-only file mappings; VmRSS (\d+) → (\d+) KiB")]
    private static partial Regex Released();

    [Fact]
    public async Task AfterTheTunnelIsUp_TheAgentReleasesItsStartupPages_AndStillServesPsql()
    {
        Match? released = null;
        for (var i = 0; i < 300 && released is not { Success: true }; i++)
        {
            released = Released().Match(Cluster.AgentLog);
            if (!released.Success)
            {
                await Task.Delay(100);
            }
        }
        Assert.True(released is { Success: true }, "no start-up pages line in the agent's log:\n" + Cluster.AgentLog);
        var kib = long.Parse(released.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var before = long.Parse(released.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        var after = long.Parse(released.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(kib > 0 && after < before, released.Value);

        var user = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var (code, text) = await Cluster.PsqlAsync(creds, "SELECT count(*) FROM generate_series(1, 1000)");
        Assert.True(code == 0, text + "\nagent:\n" + Cluster.AgentLog);
        Assert.Equal("1000", text.Trim());
        output.WriteLine(released.Value);
    }
}
