using System.Net;
using System.Net.Http.Json;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

/// <summary>
/// Several proxies and agent HA on the auth side: proxies that report a tunnel address are listed to agents; a second
/// agent serves a bound database name only once an administrator shared it (<c>hosts share</c>), and no longer once unshared.
/// </summary>
public sealed class AgentMeshTests : IDisposable
{
    private const string DevRole = """
        kind: role
        name: dev
        allow:
          db_labels: { env: dev }
          db_users: ["{{internal.db_users}}"]
          db_names: [app]
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ProxiesReportingATunnelAddress_AreListedToAgents_AndABadAddressIsRefused()
    {
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy-a", "proxy");
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var proxy = AuthTestHost.Client(server, proxyCert);
        using var agent = AuthTestHost.Client(server, agentCert);

        Assert.Empty((await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Proxies!);
        var report = await proxy.PostAsJsonAsync("/v1/inventory", new InventoryReport { TunnelAddr = "127.0.0.1:4080" }, AuthApiJsonContext.Default.InventoryReport);
        Assert.Equal(HttpStatusCode.NoContent, report.StatusCode);
        var listed = Assert.Single((await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Proxies!);
        Assert.Equal(("proxy-a", "127.0.0.1:4080"), (listed.HostId, listed.Address));

        var bad = await proxy.PostAsJsonAsync("/v1/inventory", new InventoryReport { TunnelAddr = "no port here" }, AuthApiJsonContext.Default.InventoryReport);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("127.0.0.1:4080", Assert.Single((await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Proxies!).Address);

        // An agent cannot list itself as a proxy.
        var asAgent = await agent.PostAsJsonAsync("/v1/inventory", new InventoryReport { TunnelAddr = "127.0.0.1:9" }, AuthApiJsonContext.Default.InventoryReport);
        Assert.False(asAgent.IsSuccessStatusCode);
        Assert.Single((await HostScope.RegisterAsync(agent, ("pg1", "dev"))).Proxies!);
    }

    [Fact]
    public async Task ASecondAgent_ServesABoundName_OnlyWhileAnAdministratorSharesIt()
    {
        var role = Path.Combine(_dir.Path, "dev.yaml");
        await File.WriteAllTextAsync(role, DevRole);
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", role)).Code);
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "dan", "dev", "--traits", "db_users=dan");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var firstCert = await AuthTestHost.JoinAsync(server, "agent1", "agent");
        using var secondCert = await AuthTestHost.JoinAsync(server, "agent2", "agent");
        using var thirdCert = await AuthTestHost.JoinAsync(server, "agent3", "agent");
        using var first = AuthTestHost.Client(server, firstCert);
        using var second = AuthTestHost.Client(server, secondCert);
        using var third = AuthTestHost.Client(server, thirdCert);
        using var dan = await HostScope.LoginAsync(server, "dan", password, secret);
        async Task<HttpStatusCode> DbCertAsync(HttpClient agent) =>
            (await agent.PostAsJsonAsync("/v1/db-certs", HostScope.DbCert("pg1", "dan", dan, "app"), AuthApiJsonContext.Default.DbCertificateRequest)).StatusCode;

        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(first, ("pg1", "dev"))).Accepted);
        var refused = await HostScope.RegisterAsync(second, ("pg1", "dev"));
        Assert.Contains("already served by agent \"agent1\"", refused.Refused["pg1"], StringComparison.Ordinal);
        Assert.Contains("hosts share pg1 agent2", refused.Refused["pg1"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, await DbCertAsync(second));

        // Sharing needs a bound name and a registered agent.
        Assert.NotEqual(0, (await AdminRunner.RunAsync(_dir.Path, "hosts", "share", "no-such-db", "agent2")).Code);
        Assert.NotEqual(0, (await AdminRunner.RunAsync(_dir.Path, "hosts", "share", "pg1", "no-such-agent")).Code);
        var (code, output, _) = await AdminRunner.RunAsync(_dir.Path, "hosts", "share", "pg1", "agent2");
        Assert.True(code == 0, output);

        Assert.Equal(["pg1"], (await HostScope.RegisterAsync(second, ("pg1", "dev"))).Accepted);
        Assert.Equal(HttpStatusCode.OK, await DbCertAsync(second));
        Assert.Equal(HttpStatusCode.OK, await DbCertAsync(first));
        // A mismatched protocol is not the same database.
        var mysql = await second.PostAsJsonAsync("/v1/agents/databases", new AgentDatabasesReport
        {
            Databases = [new DatabaseEntry { Name = "pg1", Protocol = "mysql", Healthy = true, Labels = new() { ["env"] = "dev" } }],
        }, AuthApiJsonContext.Default.AgentDatabasesReport);
        Assert.Contains("pg1", (await AuthTestHost.ReadAsync(mysql, AuthApiJsonContext.Default.AgentDatabasesResponse)).Refused.Keys);
        // An agent nobody shared the name with is still refused.
        Assert.Contains("pg1", (await HostScope.RegisterAsync(third, ("pg1", "dev"))).Refused.Keys);
        Assert.Equal(HttpStatusCode.Forbidden, await DbCertAsync(third));

        // Unshared: the second agent is refused again; the first keeps the name.
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "hosts", "unshare", "pg1", "agent2")).Code);
        Assert.Contains("pg1", (await HostScope.RegisterAsync(second, ("pg1", "dev"))).Refused.Keys);
        Assert.Equal(HttpStatusCode.Forbidden, await DbCertAsync(second));
        Assert.NotEqual(0, (await AdminRunner.RunAsync(_dir.Path, "hosts", "unshare", "pg1", "agent1")).Code);

        // Shared again, then the first agent is removed: the name stays with the second.
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "hosts", "share", "pg1", "agent2")).Code);
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "hosts", "rm", "agent1")).Code);
        Assert.Equal(HttpStatusCode.OK, await DbCertAsync(second));
        Assert.Contains("already served by agent \"agent2\"", (await HostScope.RegisterAsync(third, ("pg1", "dev"))).Refused["pg1"], StringComparison.Ordinal);
    }
}
