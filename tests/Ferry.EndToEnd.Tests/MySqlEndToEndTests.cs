using System.Globalization;
using Ferry.Testing;
using MySqlConnector;

namespace Ferry.EndToEnd.Tests;

/// <summary>MySQL clients (mariadb CLI, MySqlConnector) through proxy → tunnel → agent → MariaDB.</summary>
public sealed partial class MySqlEndToEndTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private async Task<FerryCluster.Credentials> LoginAsync(string service = "my1", string roles = "developer", string traits = "db_users=alice")
    {
        var user = await Cluster.AddUserAsync("m" + Guid.NewGuid().ToString("N")[..10], roles, traits);
        return await Cluster.LoginAsync(user, service, "alice", "app", protocol: "mysql");
    }

    private static string UserOf(FerryCluster.Credentials creds) =>
        creds.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false);

    /// <summary>Audit events containing <paramref name="marker"/>, as an admin sees them through the search API (waits for them to arrive).</summary>
    private Task<string> SearchAuditAsync(string marker, string? mustContain = null) =>
        SearchAuditQueryAsync($"contains={Uri.EscapeDataString(marker)}", marker, mustContain);

    /// <summary>Audit events of one Ferry user.</summary>
    private Task<string> SearchUserAuditAsync(string user, string mustContain) =>
        SearchAuditQueryAsync($"user={Uri.EscapeDataString(user)}", mustContain, null);

    private async Task<string> SearchAuditQueryAsync(string query, string marker, string? mustContain)
    {
        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var body = "";
        while (DateTime.UtcNow < deadline)
        {
            body = await api.GetStringAsync($"/v1/audit/search?{query}&since=1h&limit=1000");
            if (body.Contains(marker, StringComparison.Ordinal) && (mustContain is null || body.Contains(mustContain, StringComparison.Ordinal)))
            {
                break;
            }
            await Task.Delay(250);
        }
        return body;
    }

    [Fact]
    public async Task MariaDbCli_ThroughProxyTunnelAndAgent_ReachesTheServerAsTheCertificateUserOverTls()
    {
        var creds = await LoginAsync();
        var (code, output) = await Cluster.MySqlAsync(creds,
            "SELECT CONCAT(CURRENT_USER(), '|', DATABASE(), '|', (SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'))");
        Assert.True(code == 0, output + Cluster.FerrydLog);
        Assert.Equal("alice@%|app|1", output.Trim());
    }

    [Fact]
    public async Task MultiStatementQuery_ReturnsEveryResultSet()
    {
        var creds = await LoginAsync();
        var (code, output) = await Cluster.MySqlAsync(creds, "SELECT 'first'; SELECT 'second'; CREATE TEMPORARY TABLE t (x INT); INSERT INTO t VALUES (1),(2); SELECT SUM(x) FROM t");
        Assert.True(code == 0, output);
        Assert.Equal(["first", "second", "3"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Greeting_AdvertisesTheRealServerVersion()
    {
        var creds = await LoginAsync();
        var (code, version) = await Cluster.MySqlAsync(creds, "SELECT VERSION()");
        Assert.True(code == 0, version);
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();
        Assert.Contains(version.Trim(), conn.ServerVersion);
    }
}
