using System.Globalization;
using Ferry.Testing;
using MySqlConnector;

namespace Ferry.EndToEnd.Tests;

/// <summary>MySQL clients (mariadb CLI, MySqlConnector) through proxy → tunnel → agent → MariaDB.</summary>
public sealed class MySqlEndToEndTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private async Task<FerryCluster.Credentials> LoginAsync(string service = "my1", string roles = "developer")
    {
        var user = await Cluster.AddUserAsync("m" + Guid.NewGuid().ToString("N")[..10], roles, "db_users=alice");
        return await Cluster.LoginAsync(user, service, "alice", "app", protocol: "mysql");
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
