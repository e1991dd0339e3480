using System.Globalization;
using System.Net;

namespace Ferry.EndToEnd.Tests;

/// <summary>ferryd with <c>diag_addr</c>: Prometheus metrics that follow real sessions, and health checks.</summary>
public sealed class DiagnosticsEndToEndTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private const string Pg1 = "database=\"pg1\",protocol=\"postgres\"";

    [Fact]
    public async Task Metrics_SessionAndQueryCounters_GrowAfterAPsqlQuery()
    {
        var user = await Cluster.AddUserAsync("m" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var before = await GetAsync("/metrics");

        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.True(code == 0, output);
        (code, output) = await Cluster.PsqlAsync(creds, "SELECT 2");
        Assert.True(code == 0, output);
        var after = await GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.StartsWith("text/plain; version=0.0.4", after.ContentType, StringComparison.Ordinal);
        Assert.Equal(Sum(before.Body, "ferry_sessions_total", Pg1 + ",result=\"established\"") + 2,
            Sum(after.Body, "ferry_sessions_total", Pg1 + ",result=\"established\""));
        Assert.Equal(Sum(before.Body, "ferry_queries_total", Pg1) + 2, Sum(after.Body, "ferry_queries_total", Pg1));
        Assert.True(Sum(after.Body, "ferry_proxy_bytes_total", "direction=\"to_client\",protocol=\"postgres\"") > Sum(before.Body, "ferry_proxy_bytes_total", "direction=\"to_client\",protocol=\"postgres\""), after.Body);
        Assert.True(Sum(after.Body, "ferry_connect_duration_seconds_count", "protocol=\"postgres\"") >= 2, after.Body);
        Assert.Equal(1, Sum(after.Body, "ferry_tunnels_connected", "side=\"proxy\""));
        Assert.Equal(1, Sum(after.Body, "ferry_tunnels_connected", "side=\"agent\""));
    }

    [Fact]
    public async Task Metrics_CountARefusalByTheAgent_WithItsReason()
    {
        var user = await Cluster.AddUserAsync("r" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var before = await GetAsync("/metrics");

        // The role allows db users alice and readonly, not postgres: the agent refuses the session.
        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1", user: "postgres");
        var after = await GetAsync("/metrics");

        Assert.NotEqual(0, code);
        Assert.Contains("denied", output, StringComparison.Ordinal);
        Assert.Equal(Sum(before.Body, "ferry_refusals_total", "reason=\"access_denied\",side=\"agent\"") + 1,
            Sum(after.Body, "ferry_refusals_total", "reason=\"access_denied\",side=\"agent\""));
        Assert.Equal(Sum(before.Body, "ferry_sessions_total", Pg1 + ",result=\"refused\"") + 1,
            Sum(after.Body, "ferry_sessions_total", Pg1 + ",result=\"refused\""));
    }

    [Fact]
    public async Task Readyz_Answers200_NamingProxyAgentTunnelAndAuth_AndHealthz200()
    {
        var ready = await GetAsync("/readyz");
        var healthy = await GetAsync("/healthz");

        Assert.True(ready.Status == HttpStatusCode.OK, ready.Body);
        Assert.Contains("ok: proxy listening on", ready.Body, StringComparison.Ordinal);
        Assert.Contains("ok: agent tunnel to", ready.Body, StringComparison.Ordinal);
        Assert.Contains("ok: auth service listening on", ready.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, healthy.Status);
    }

    [Fact]
    public async Task FerrydLog_HasOneLogfmtLinePerSession_WithoutTheQueryText()
    {
        var user = await Cluster.AddUserAsync("l" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var marker = "log_marker_" + Guid.NewGuid().ToString("N")[..8];

        var (code, output) = await Cluster.PsqlAsync(creds, $"SELECT '{marker}'");
        Assert.True(code == 0, output);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Cluster.FerrydLog.Contains($"({user.User}) routed to database pg1", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        var line = Cluster.FerrydLog.Split('\n').Single(l => l.Contains($"({user.User}) routed to database pg1", StringComparison.Ordinal));
        Assert.Contains("level=info logger=Ferry.Proxy event=ConnectionAccepted id=1001 ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, Cluster.FerrydLog, StringComparison.Ordinal);
    }

    private async Task<(HttpStatusCode Status, string ContentType, string Body)> GetAsync(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Cluster.DiagPort}{path}"));
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", await response.Content.ReadAsStringAsync());
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose label set contains <paramref name="labels"/>.</summary>
    [Fact]
    public async Task Metrics_ShowTheTlsIdleSweep_FreeingTheBuffersOfAnIdleTunnel_WithoutFailures()
    {
        // The proxy's agent tunnel waits for heartbeats seconds apart: the once-a-second sweep frees its record
        // buffers in between. Bounded: 30 scrapes, 0.5 s apart.
        double freed = 0;
        string body = "";
        for (var i = 0; i < 30 && freed == 0; i++)
        {
            body = (await GetAsync("/metrics")).Body;
            freed = Single(body, "ferry_tls_idle_buffers_freed_total");
            if (freed == 0)
            {
                await Task.Delay(500);
            }
        }
        Assert.True(freed > 0, body);
        Assert.Equal(0, Single(body, "ferry_tls_idle_sweep_failures_total"));
        // The idle compaction is wired up too (whether it has run yet depends on how much the start-up allocated).
        Assert.True(Single(body, "ferry_gc_idle_compactions_total") >= 0, body);
    }

    private static double Single(string exposition, string name) =>
        exposition.Split('\n').Where(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Single();

    private static double Sum(string exposition, string name, string labels) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(labels, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
