using System.Net;
using System.Net.Http.Json;
using Ferry.Audit;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

public sealed class EgressApiTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static EgressReport Report(long rows, long? limit = 100) => new()
    {
        Usage = [new EgressUsageDelta { User = "alice", Database = "pg1", PerSeconds = 3600, Rows = rows, RowsLimit = limit }],
    };

    [Fact]
    public async Task Egress_AddsUpAcrossReports_AuditsTheCrossingOnce_AndOnlyTheBoundAgentMayReport()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent-1", "agent");
        using var otherCert = await AuthTestHost.JoinAsync(server, "agent-2", "agent");
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy-1", "proxy");
        using var agent = AuthTestHost.Client(server, agentCert);
        await HostScope.RegisterAsync(agent, ("pg1", "dev"));

        var first = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/egress", Report(60), AuthApiJsonContext.Default.EgressReport), AuthApiJsonContext.Default.EgressReportResponse);
        var second = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/egress", Report(60), AuthApiJsonContext.Default.EgressReport), AuthApiJsonContext.Default.EgressReportResponse);
        var third = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/egress", Report(5), AuthApiJsonContext.Default.EgressReport), AuthApiJsonContext.Default.EgressReportResponse);
        var query = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/egress", Report(0), AuthApiJsonContext.Default.EgressReport), AuthApiJsonContext.Default.EgressReportResponse);

        Assert.Equal([60L, 120L, 125L, 125L], new[] { first, second, third, query }.Select(r => Assert.Single(r.Usage).Rows));
        var total = Assert.Single(query.Usage);
        Assert.Equal(TimeSpan.FromHours(1), total.WindowEnd - total.WindowStart);
        Assert.Equal(0, total.WindowStart.ToUnixTimeSeconds() % 3600);
        await server.FlushAuditAsync();
        var crossed = Assert.Single(server.AuditStore.Search(new AuditQuery { Type = AuditEventTypes.EgressExceeded }));
        Assert.Equal(("TEG00W", "alice", "pg1", "120", "100"), (crossed.Code, crossed.User, crossed.Details!["database"], crossed.Details["rows"], crossed.Details["rows_limit"]));

        using var other = AuthTestHost.Client(server, otherCert);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsJsonAsync("/v1/egress", Report(1), AuthApiJsonContext.Default.EgressReport)).StatusCode);
        using var proxy = AuthTestHost.Client(server, proxyCert);
        Assert.False((await proxy.PostAsJsonAsync("/v1/egress", Report(1), AuthApiJsonContext.Default.EgressReport)).IsSuccessStatusCode);
        var bad = new EgressReport { Usage = [new EgressUsageDelta { User = "alice", Database = "pg1", PerSeconds = 0, Rows = 1 }] };
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.PostAsJsonAsync("/v1/egress", bad, AuthApiJsonContext.Default.EgressReport)).StatusCode);
    }

    [Fact]
    public async Task Egress_UnderAnAccessRequest_CountsAgainstABudgetOfItsOwn_AndAMalformedGrantIsRefused()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent-1", "agent");
        using var agent = AuthTestHost.Client(server, agentCert);
        await HostScope.RegisterAsync(agent, ("pg1", "dev"));
        const string a = "0b8f6f3e-1c53-4d7e-9b51-2f0e0e6f7a01";
        const string b = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

        async Task<long> SendAsync(long rows, string grant)
        {
            var report = Report(rows);
            report.Usage[0].Grant = grant;
            var answer = await AuthTestHost.ReadAsync(await agent.PostAsJsonAsync("/v1/egress", report, AuthApiJsonContext.Default.EgressReport), AuthApiJsonContext.Default.EgressReportResponse);
            Assert.Equal(grant, Assert.Single(answer.Usage).Grant);
            return answer.Usage[0].Rows;
        }

        Assert.Equal(150, await SendAsync(150, "")); // the user's own budget, spent
        Assert.Equal(30, await SendAsync(30, a)); // a fresh budget under request a
        Assert.Equal(40, await SendAsync(40, a + "," + b)); // and another under a and b together
        Assert.Equal(155, await SendAsync(5, ""));
        Assert.Equal(70, await SendAsync(40, a));

        foreach (var grant in new[] { b + "," + a, a + "," + a, "not-a-request", a + ",", string.Join(',', Enumerable.Range(0, 9).Select(i => $"00000000-0000-4000-8000-00000000000{i}")) })
        {
            var report = Report(1);
            report.Usage[0].Grant = grant;
            var response = await agent.PostAsJsonAsync("/v1/egress", report, AuthApiJsonContext.Default.EgressReport);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(155, await SendAsync(0, "")); // the refused reports changed nothing
        Assert.Equal(70, await SendAsync(0, a));
    }
}
