using System.Diagnostics;
using System.Net.Http.Json;
using Ferry.Auth.Api;
using Ferry.Testing;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The production shape: ferryd (auth + proxy) and a separate ferry-agent that joined through the
/// proxy's port 3080 with a token and a pinned CA, tunnelling out to the proxy.
/// </summary>
[Collection("standalone agent")]
public sealed class StandaloneAgentTests(StandaloneClusterFixture fixture, ITestOutputHelper output) : IClassFixture<StandaloneClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private async Task<(FerryCluster.UserSecrets User, FerryCluster.Credentials Creds)> LoginAsync(string service = "pg1")
    {
        var user = await Cluster.AddUserAsync("u" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        return (user, await Cluster.LoginAsync(user, service, "alice", "app"));
    }

    private Task<(int Code, string Output)> PsqlAsync(FerryCluster.Credentials creds, string sql, TimeSpan timeout) =>
        ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [Cluster.ConnectionString(creds), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout);

    /// <summary>Waits until a backend of this cluster's PostgreSQL is running <paramref name="marker"/>.</summary>
    private async Task WaitRunningAsync(string marker)
    {
        for (var i = 0; i < 200; i++)
        {
            var active = await Cluster.Postgres.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{marker}%' AND pid <> pg_backend_pid()");
            if (active.Trim() != "0")
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new InvalidOperationException($"the query {marker} never started");
    }

    [Fact]
    public async Task Agent_JoinedThroughTheProxy_ServesPsqlWithAuditedQueries()
    {
        var (_, creds) = await LoginAsync();
        var (code, text) = await Cluster.PsqlAsync(creds, "SELECT current_user || '|' || current_database()");
        Assert.True(code == 0, text);
        Assert.Equal("alice|app", text.Trim());
        Assert.Contains("joined the cluster as agent edge-agent-1", Cluster.AgentLog + Cluster.FerrydLog + JoinedMarker());
    }

    // A restarted agent logs that it reused its certificate instead; either line proves the join happened.
    private string JoinedMarker() => Cluster.AgentLog.Contains("using the stored host certificate", StringComparison.Ordinal) ? "joined the cluster as agent edge-agent-1" : "";

    [Fact]
    public async Task KillingTheAgentMidQuery_FailsThatQuery_KeepsTheProxyUp_AndTheRestartedAgentIsBackQuickly()
    {
        var (_, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var marker = "kill_me_" + Guid.NewGuid().ToString("N")[..8];
        var query = PsqlAsync(creds, $"SELECT pg_sleep(30) AS {marker}", TimeSpan.FromSeconds(60));
        await WaitRunningAsync(marker);

        var clock = Stopwatch.StartNew();
        Cluster.KillAgent();
        var (code, text) = await query;
        var failedAfter = clock.Elapsed;
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("(1 row)", text);

        // The proxy carries on: its API passthrough answers, and a new connection gets a precise error.
        using (var api = Cluster.ApiViaProxy())
        {
            var ca = await api.GetFromJsonAsync("/v1/ca", AuthApiJsonContext.Default.CaResponse);
            Assert.Equal("e2e", ca!.Cluster);
        }
        var (downCode, downText) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, downCode);
        Assert.Contains("pg1", downText);

        clock.Restart();
        await Cluster.RestartAgentAsync();
        var started = clock.Elapsed;
        var reachable = await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        Assert.Contains("using the stored host certificate", Cluster.AgentLog);
        output.WriteLine($"query failed {failedAfter.TotalSeconds:0.00}s after kill -9; restarted agent ready in {started.TotalSeconds:0.00}s, reachable {reachable.TotalSeconds:0.00}s later: {text.Trim()}");
    }

    [Fact]
    public async Task Lock_ClosesALiveSessionWithItsReason_AndRefusesNewOnes()
    {
        var (user, creds) = await LoginAsync();
        await Cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(30));
        var marker = "locked_" + Guid.NewGuid().ToString("N")[..8];
        var query = PsqlAsync(creds, $"SELECT pg_sleep(60) AS {marker}", TimeSpan.FromSeconds(90));
        await WaitRunningAsync(marker);

        var clock = Stopwatch.StartNew();
        await Cluster.AdminAsync("locks", "add", "--user", user.User, "--message", "offboarding");
        var (code, text) = await query;
        var closedAfter = clock.Elapsed;
        Assert.NotEqual(0, code);
        Assert.Contains($"user \"{user.User}\" is locked: offboarding", text);

        var (again, againText) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, again);
        Assert.Contains("locked", againText);
        output.WriteLine($"live session closed {closedAfter.TotalSeconds:0.00}s after `ferryd admin locks add` returned: {text.Trim()}");
    }

    [Fact]
    public async Task ExpiringCertificate_EndsTheLiveSession_ThenIsRefused()
    {
        var (_, login) = await LoginAsync();
        await Cluster.WaitReachableAsync(login, TimeSpan.FromSeconds(30));
        var creds = await Cluster.ShortLivedAsync(login, "pg1", "alice", "app", TimeSpan.FromSeconds(6));
        var marker = "expiring_" + Guid.NewGuid().ToString("N")[..8];
        var query = PsqlAsync(creds, $"SELECT pg_sleep(60) AS {marker}", TimeSpan.FromSeconds(90));
        await WaitRunningAsync(marker);

        var (code, text) = await query;
        Assert.NotEqual(0, code);
        Assert.Contains("certificate expired", text);
        var notAfter = new DateTimeOffset(creds.Certificate.NotAfter.ToUniversalTime());
        output.WriteLine($"session ended {(DateTimeOffset.UtcNow - notAfter).TotalSeconds:0.00}s after the certificate's NotAfter: {text.Trim()}");

        var (again, againText) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, again);
        Assert.Contains("expired", againText);
    }

    [Fact]
    public async Task DynamicLabels_FromCommands_DecideAccessAndShowInTheListing()
    {
        var user = await Cluster.AddUserAsync("dyn" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var staging = await Cluster.LoginAsync(user, "pgdyn", "alice", "app");
        await Cluster.WaitReachableAsync(staging, TimeSpan.FromSeconds(30));

        // A second login in the same TOTP step would be refused as a reused code: log in as a second user.
        var other = await Cluster.AddUserAsync("dyn" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var prod = await Cluster.LoginAsync(other, "pgdyn-prod", "alice", "app");
        var (code, text) = await Cluster.PsqlAsync(prod, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("deny db_labels", text);

        using var api = Cluster.Api(staging.Certificate);
        var listed = await api.GetFromJsonAsync("/v1/databases", AuthApiJsonContext.Default.DatabasesResponse);
        var dyn = Assert.Single(listed!.Databases, d => d.Name == "pgdyn");
        Assert.Equal("staging", dyn.Labels["env"]);
        Assert.DoesNotContain(listed.Databases, d => d.Name is "pgdyn-prod" or "pgprod");
        Assert.Contains(listed.Databases, d => d.Name == "pg1" && d.DbUsers!.Contains("alice"));
    }
}
