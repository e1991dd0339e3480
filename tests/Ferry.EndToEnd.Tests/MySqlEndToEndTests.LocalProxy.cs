using System.Globalization;
using Ferry.Testing;
using MySqlConnector;

namespace Ferry.EndToEnd.Tests;

public sealed partial class MySqlEndToEndTests
{
    [Fact]
    public async Task FerryProxyDb_ServesMariaDbCliAndMySqlConnector_ThatPresentNoCertificate()
    {
        using var cli = new FerryCli(Cluster);
        var user = await Cluster.AddUserAsync("c" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var (code, output) = await cli.LoginAsync(user);
        Assert.True(code == 0, output);
        var port = FreePort.Next();
        using var proxy = await cli.StartAsync(["proxy", "db", "my1", "--port", port.ToString(CultureInfo.InvariantCulture), "--db-user", "alice", "--db-name", "app"], "Press Ctrl+C");
        var secret = FerryCli.LocalProxySecret(proxy.Output);

        var (cliCode, cliOutput) = await ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb", "mysql")!,
            ["--no-defaults", "-h", "127.0.0.1", "-P", port.ToString(CultureInfo.InvariantCulture), "-u", "alice", "-p" + secret, "--skip-ssl", "--batch", "--skip-column-names", "app",
             "-e", "SELECT CONCAT(CURRENT_USER(), '|', DATABASE(), '|', (SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'))"],
            TimeSpan.FromMinutes(2));
        // Plain text only on loopback to the local proxy: the database still sees TLS from the agent.
        Assert.True(cliCode == 0, cliOutput + proxy.Output);
        Assert.Equal("alice@%|app|1", cliOutput.Trim());

        await using var conn = new MySqlConnection($"Server=127.0.0.1;Port={port};User ID=alice;Password={secret};Database=app;SslMode=None;Pooling=false;Connection Timeout=30");
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("SELECT REPEAT('z', 1000000)", conn);
        Assert.Equal(1000000, ((string)(await cmd.ExecuteScalarAsync())!).Length);
    }

    [Fact]
    public async Task PooledMySqlConnector_ResetsConnectionsBetweenUses_AndTheResetIsAudited()
    {
        var creds = await LoginAsync();
        var cs = Cluster.MySqlConnectorConnectionString(creds).Replace("Pooling=false", "Pooling=true;ConnectionReset=true", StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            await using var conn = new MySqlConnection(cs);
            await conn.OpenAsync();
            await using var cmd = new MySqlCommand("SELECT @@session.sql_mode IS NOT NULL", conn);
            Assert.Equal(1L, Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }
        MySqlConnection.ClearAllPools();
        var audit = await SearchUserAuditAsync(UserOf(creds), "db.session.mysql.reset_connection");
        Assert.Contains("TMY14I", audit);
    }
}
