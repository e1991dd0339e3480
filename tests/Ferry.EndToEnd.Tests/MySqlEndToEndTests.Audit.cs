using System.Text.Json;
using MySqlConnector;

namespace Ferry.EndToEnd.Tests;

public sealed partial class MySqlEndToEndTests
{
    [Fact]
    public async Task LocalProxyPath_AlpnFerryMySqlOnTheMainPort_GreetsInsideTlsAndRelays()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await RawMySqlClient.ConnectAlpnAsync(Cluster.ProxyPort, creds.Certificate, "alice", "app", timeout.Token);
        Assert.Equal(0, (int)(client.GreetingCapabilities & Ferry.Protocol.MySql.Packets.MySqlCapabilities.Ssl));
        var rows = await client.QueryAsync("SELECT CONCAT(CURRENT_USER(), '|', DATABASE())", timeout.Token);
        Assert.Equal(["alice@%|app"], rows);
    }

    [Fact]
    public async Task ClientChoosingCachingSha2_IsSwitchedToNativePassword_AndLoggedInByItsCertificate()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // A MySQL 8 client's default plugin, with a (meaningless) 32-byte scramble of some password.
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token,
            authPlugin: "caching_sha2_password", authResponse: new byte[32]);
        Assert.NotNull(client.SwitchedTo);
        Assert.Equal("mysql_native_password", client.SwitchedTo.Value.Plugin);
        Assert.Equal(21, client.SwitchedTo.Value.Data.Length); // 20-byte nonce + NUL
        Assert.Equal(["alice@%"], await client.QueryAsync("SELECT CURRENT_USER()", timeout.Token));
    }

    [Fact]
    public async Task Session_IsAuditedFromStartToEnd_WithQueriesInitDbAndKill()
    {
        var creds = await LoginAsync();
        var marker = "mark_" + Guid.NewGuid().ToString("N")[..8];
        var (code, output) = await Cluster.MySqlAsync(creds, $"USE app; SELECT '{marker}'; KILL QUERY 1234567");
        Assert.NotEqual(0, code); // the KILL names no thread
        Assert.Contains(marker, output);

        var audit = await SearchUserAuditAsync(UserOf(creds), "db.session.end");
        using var events = JsonDocument.Parse(audit);
        var list = events.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetString()!.StartsWith("db.", StringComparison.Ordinal)).ToList();
        var types = list.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Contains("db.session.start", types);
        Assert.Contains("db.session.mysql.init_db", types);
        Assert.Contains("db.session.end", types);
        Assert.Contains(list, e => e.GetProperty("type").GetString() == "db.session.query" && e.GetProperty("query").GetString() == $"SELECT '{marker}'");
        Assert.Contains(list, e => e.GetProperty("type").GetString() == "db.session.query" && e.GetProperty("query").GetString() == "KILL QUERY 1234567");
        var end = list.Single(e => e.GetProperty("type").GetString() == "db.session.end");
        Assert.Equal("client_closed", end.GetProperty("end_reason").GetString());
        Assert.True(end.GetProperty("bytes_out").GetInt64() > 0);
        Assert.All(list, e => Assert.Equal("mysql", e.GetProperty("db_protocol").GetString()));
        Assert.All(list, e => Assert.Equal("my1", e.GetProperty("db_service").GetString()));
    }

    [Fact]
    public async Task Lock_ClosesALiveSession_AndRefusesNewOnes()
    {
        var user = await Cluster.AddUserAsync("l" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "my1", "alice", "app", protocol: "mysql");
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();
        await Cluster.AdminAsync("locks", "add", "--user", user.User, "--message", "incident 42", "--ttl", "1h");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        Exception? failure = null;
        while (DateTime.UtcNow < deadline && failure is null)
        {
            try
            {
                await using var cmd = new MySqlCommand("SELECT 1", conn);
                await cmd.ExecuteScalarAsync();
                await Task.Delay(200);
            }
            catch (Exception e) when (e is MySqlException or InvalidOperationException)
            {
                failure = e;
            }
        }
        Assert.NotNull(failure);
        var (code, output) = await Cluster.MySqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("incident 42", output);
    }
}
