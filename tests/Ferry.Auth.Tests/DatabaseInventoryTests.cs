using System.Net;
using System.Net.Http.Json;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth.Tests;

public sealed class DatabaseInventoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static InventoryReport Report(params (string Name, string Env)[] dbs) => new()
    {
        Databases = [.. dbs.Select(d => new DatabaseEntry { Name = d.Name, Protocol = "postgres", Labels = new() { ["env"] = d.Env }, Agents = 1 })],
    };

    [Fact]
    public async Task Databases_ListsWhatTheAgentsRegisteredAndTheProxiesReach_FilteredByTheCallersRoles()
    {
        var role = Path.Combine(_dir.Path, "dev.yaml");
        await File.WriteAllTextAsync(role, """
            kind: role
            name: dev
            allow:
              db_labels: { env: dev }
              db_users: ["{{internal.db_users}}", readonly]
              db_names: [app]
            """);
        Assert.Equal(0, (await AdminRunner.RunAsync(_dir.Path, "roles", "apply", "-f", role)).Code);
        var (password, secret, _) = await AdminRunner.AddUserAsync(_dir.Path, "dan", "dev", "--traits", "db_users=dan");
        await using var server = await AuthTestHost.StartAsync(_dir.Path);
        using var proxyCert = await AuthTestHost.JoinAsync(server, "proxy-1", "proxy");
        using var agentCert = await AuthTestHost.JoinAsync(server, "agent-1", "agent");

        using (var agent = AuthTestHost.Client(server, agentCert))
        {
            await HostScope.RegisterAsync(agent, ("pg-dev", "dev"), ("pg-prod", "prod"));
        }
        using (var proxy = AuthTestHost.Client(server, proxyCert))
        {
            var posted = await proxy.PostAsJsonAsync("/v1/inventory", Report(("pg-dev", "dev"), ("pg-prod", "prod")), AuthApiJsonContext.Default.InventoryReport);
            Assert.Equal(HttpStatusCode.NoContent, posted.StatusCode);
        }
        using (var agent = AuthTestHost.Client(server, agentCert))
        {
            var refused = await agent.PostAsJsonAsync("/v1/inventory", Report(("pg-evil", "dev")), AuthApiJsonContext.Default.InventoryReport);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var key = KeyPair.Generate();
        using var anonymous = AuthTestHost.Client(server);
        var login = await AuthTestHost.LoginAsync(anonymous, "dan", password, AuthTestHost.Otp(secret), key);
        var issued = await AuthTestHost.ReadAsync(login, AuthApiJsonContext.Default.UserCertificateResponse);
        using var userCert = TlsCertificates.FromPem(issued.CertificatePem, key.ExportPrivateKeyPem());
        using var user = AuthTestHost.Client(server, userCert);
        var listed = await AuthTestHost.ReadAsync(await user.GetAsync("/v1/databases"), AuthApiJsonContext.Default.DatabasesResponse);

        var db = Assert.Single(listed.Databases);
        Assert.Equal("pg-dev", db.Name);
        Assert.Equal(["dan", "readonly"], db.DbUsers);
        Assert.Equal(["app"], db.DbNames);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/databases")).StatusCode);
    }

    [Fact]
    public void Inventory_DropsAProxysReportWhenItsTtlLapses()
    {
        var time = new ManualClock(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var inventory = new Ferry.Auth.Inventory.DatabaseInventory(time);
        inventory.RegisterAgent("agent-1", Report(("pg1", "dev"), ("pg2", "dev")).Databases, TimeSpan.FromDays(1));
        inventory.Report("proxy-1", Report(("pg1", "dev")).Databases, TimeSpan.FromSeconds(30));
        inventory.Report("proxy-2", Report(("pg1", "dev"), ("pg2", "dev")).Databases, TimeSpan.FromSeconds(60));

        Assert.Equal(["pg1", "pg2"], inventory.Current().Select(d => d.Name));
        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(["pg1", "pg2"], inventory.Current().Select(d => d.Name));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(inventory.Current());
    }
}
