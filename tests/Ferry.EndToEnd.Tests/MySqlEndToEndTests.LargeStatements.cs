using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.EndToEnd.Tests;

/// <summary>MySQL commands of any size are in the audit: first bytes, true length (all packets), SHA-256 of the whole.</summary>
public sealed partial class MySqlEndToEndTests
{
    private async Task<JsonElement> StatementEventAsync(FerryCluster.Credentials creds, string sha256)
    {
        var user = UserOf(creds);
        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var body = await api.GetStringAsync($"/v1/audit/search?user={Uri.EscapeDataString(user)}&since=1h&limit=1000");
            var matches = JsonDocument.Parse(body).RootElement.EnumerateArray()
                .Where(e => e.TryGetProperty("query_sha256", out var h) && h.GetString() == sha256).ToList();
            if (matches.Count > 0 || DateTime.UtcNow > deadline)
            {
                return Assert.Single(matches);
            }
            await Task.Delay(250);
        }
    }

    private static byte[] ComQuery(byte[] sql) => [0x03, .. sql];

    [Fact]
    public async Task Binary8MBInsert_IsAuditedWithItsTrueLengthAndHash()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        await client.QueryAsync("CREATE TEMPORARY TABLE large_b (v LONGBLOB)", timeout.Token);

        var data = new byte[8_000_000];
        new Random(8).NextBytes(data);
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] is 0 or (byte)'\'' or (byte)'\\')
            {
                data[i] = 1;
            }
        }
        var marker = "bin_" + Guid.NewGuid().ToString("N")[..8];
        byte[] sql = [.. Encoding.ASCII.GetBytes($"INSERT /* {marker} */ INTO large_b VALUES (_binary'"), .. data, .. "')"u8];
        await client.SendCommandAsync(ComQuery(sql), timeout.Token);
        await client.ReadRowsAsync(timeout.Token);
        Assert.Equal(["8000000"], await client.QueryAsync("SELECT LENGTH(v) FROM large_b", timeout.Token));

        var e = await StatementEventAsync(creds, Convert.ToHexStringLower(SHA256.HashData(sql)));
        Assert.Equal("db.session.query", e.GetProperty("type").GetString());
        Assert.Equal(sql.Length, e.GetProperty("query_length").GetInt64());
        Assert.True(e.GetProperty("truncated").GetBoolean());
        Assert.StartsWith($"INSERT /* {marker} */ INTO large_b", e.GetProperty("query").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandOver16MiB_IsAuditedWithTheLengthOfAllItsPackets()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        var marker = "multi_" + Guid.NewGuid().ToString("N")[..8];
        var filler = 17 * 1024 * 1024;
        var sql = Encoding.ASCII.GetBytes($"SELECT LENGTH('{marker}{new string('z', filler)}')");
        await client.SendCommandAsync(ComQuery(sql), timeout.Token);
        Assert.Equal([(marker.Length + filler).ToString(System.Globalization.CultureInfo.InvariantCulture)], await client.ReadRowsAsync(timeout.Token));

        var e = await StatementEventAsync(creds, Convert.ToHexStringLower(SHA256.HashData(sql)));
        Assert.Equal("db.session.query", e.GetProperty("type").GetString());
        Assert.Equal(sql.Length, e.GetProperty("query_length").GetInt64());
        Assert.True(e.GetProperty("truncated").GetBoolean());
        Assert.StartsWith($"SELECT LENGTH('{marker}zzz", e.GetProperty("query").GetString(), StringComparison.Ordinal);
    }
}
