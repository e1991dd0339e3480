using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ferry.Testing;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>Statements of any size are in the audit: first bytes, true length, SHA-256 of the whole.</summary>
public sealed partial class PostgresEndToEndTests
{
    private const int Mib = 1024 * 1024;

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Events of one Ferry user, as an admin sees them through the search API, once one satisfies <paramref name="found"/>.</summary>
    private async Task<List<JsonElement>> UserEventsAsync(FerryCluster.Credentials creds, Func<JsonElement, bool> found)
    {
        var user = creds.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false);
        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<JsonElement> list = [];
        while (DateTime.UtcNow < deadline)
        {
            var body = await api.GetStringAsync($"/v1/audit/search?user={Uri.EscapeDataString(user)}&since=1h&limit=1000");
            list = [.. JsonDocument.Parse(body).RootElement.EnumerateArray()];
            if (list.Any(found))
            {
                break;
            }
            await Task.Delay(250);
        }
        return list;
    }

    [Fact]
    public async Task Psql_17MiBCommentHidingAnUpdate_IsAuditedWithItsTrueLengthAndHash()
    {
        var creds = await LoginAsync();
        var marker = "big_marker_" + Guid.NewGuid().ToString("N")[..8];
        var statement = $"/* {marker} {new string('x', 17 * Mib)} */ UPDATE large_t SET n = 1";
        var file = Path.Combine(Cluster.Root, marker + ".sql");
        await File.WriteAllTextAsync(file, $"CREATE TEMP TABLE large_t (n int);\nINSERT INTO large_t VALUES (0);\n{statement};\nSELECT n FROM large_t;\n");
        var (code, output) = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [Cluster.ConnectionString(creds), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-f", file], TimeSpan.FromMinutes(5));
        File.Delete(file);
        Assert.True(code == 0, output);
        Assert.Equal("1", output.Trim()); // the UPDATE ran

        statement += ";"; // psql sends the statement with its terminating semicolon
        var expected = Sha256(Encoding.UTF8.GetBytes(statement));
        var events = await UserEventsAsync(creds, e => e.TryGetProperty("query_sha256", out var h) && h.GetString() == expected);
        var e = Assert.Single(events, e => e.TryGetProperty("query_sha256", out var h) && h.GetString() == expected);
        Assert.Equal("db.session.query", e.GetProperty("type").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(statement), e.GetProperty("query_length").GetInt64());
        Assert.True(e.GetProperty("truncated").GetBoolean());
        Assert.StartsWith($"/* {marker} xxx", e.GetProperty("query").GetString(), StringComparison.Ordinal);
        Assert.True(e.GetProperty("query").GetString()!.Length <= 64 * 1024);
    }

    [Fact]
    public async Task Npgsql_17MiBParseAnd10MBByteaParameter_AreAuditedWithTrueLengthsAndHashes()
    {
        var creds = await LoginAsync();
        var marker = "bind_marker_" + Guid.NewGuid().ToString("N")[..8];
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await conn.OpenAsync();

        var bytes = new byte[10_000_000];
        new Random(20).NextBytes(bytes);
        var sql = $"SELECT length(@p) /* {marker} */";
        await using (var cmd = new NpgsqlCommand(sql, conn))
        {
            cmd.Parameters.AddWithValue("p", bytes);
            Assert.Equal(10_000_000, Convert.ToInt32(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        var big = $"SELECT 7 /* {marker} {new string('y', 17 * Mib)} */";
        await using (var cmd = new NpgsqlCommand(big, conn))
        {
            Assert.Equal(7, await cmd.ExecuteScalarAsync());
        }

        var parameterHash = Sha256(bytes);
        var bigHash = Sha256(Encoding.UTF8.GetBytes(big));
        var events = await UserEventsAsync(creds, e => e.TryGetProperty("query_sha256", out var h) && h.GetString() == bigHash);

        var bind = Assert.Single(events, e => e.GetProperty("type").GetString() == "db.session.bind"
            && e.TryGetProperty("truncated_parameters", out var t) && t.EnumerateArray().Any(p => p.GetProperty("sha256").GetString() == parameterHash));
        var digest = bind.GetProperty("truncated_parameters")[0];
        Assert.Equal(0, digest.GetProperty("index").GetInt32());
        Assert.Equal(10_000_000, digest.GetProperty("length").GetInt64());
        Assert.StartsWith("base64:" + Convert.ToBase64String(bytes, 0, 3), bind.GetProperty("parameters")[0].GetString(), StringComparison.Ordinal);

        var parse = Assert.Single(events, e => e.GetProperty("type").GetString() == "db.session.parse" && e.TryGetProperty("query_sha256", out var h) && h.GetString() == bigHash);
        Assert.Equal(Encoding.UTF8.GetByteCount(big), parse.GetProperty("query_length").GetInt64());
        Assert.True(parse.GetProperty("truncated").GetBoolean());
        Assert.StartsWith($"SELECT 7 /* {marker} yyy", parse.GetProperty("query").GetString(), StringComparison.Ordinal);
    }
}
