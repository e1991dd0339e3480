using System.Text.Json;
using Ferry.Testing;
using MySqlConnector;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>Issue 20 items: a clean client close is recorded as one, <c>max_sessions</c>, owner-only audit files.</summary>
public sealed class SessionLimitsEndToEndTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private const string LimitedRole = """
        kind: role
        name: two-sessions
        options: { max_sessions: 2 }
        allow:
          db_labels: { env: [dev, staging] }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
        """;

    private FerryCluster Cluster => fixture.Cluster;

    private static string UserOf(FerryCluster.Credentials creds) =>
        creds.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false);

    private async Task<List<JsonElement>> UserEventsAsync(string user, string type, int atLeast)
    {
        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<JsonElement> found = [];
        while (DateTime.UtcNow < deadline)
        {
            var body = await api.GetStringAsync($"/v1/audit/search?user={Uri.EscapeDataString(user)}&since=1h&limit=1000");
            using var doc = JsonDocument.Parse(body);
            found = [.. doc.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetString() == type).Select(e => e.Clone())];
            if (found.Count >= atLeast)
            {
                break;
            }
            await Task.Delay(250);
        }
        return found;
    }

    private async Task ApplyLimitedRoleAsync()
    {
        var path = Path.Combine(Cluster.Root, "two-sessions.yaml");
        await File.WriteAllTextAsync(path, LimitedRole);
        await Cluster.AdminAsync("roles", "apply", "-f", path);
    }

    [Fact]
    public async Task Psql_ThatSaysTerminate_EndsAsClientClosed_EveryTime()
    {
        var user = await Cluster.AddUserAsync("t" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        const int Runs = 8;
        for (var i = 0; i < Runs; i++)
        {
            var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1");
            Assert.True(code == 0, output);
        }

        // psql sends Terminate and closes; the server closes on Terminate too, and is often seen first.
        var ends = await UserEventsAsync(UserOf(creds), "db.session.end", Runs);
        Assert.Equal(Runs, ends.Count);
        Assert.All(ends, e => Assert.Equal("client_closed", e.GetProperty("end_reason").GetString()));
    }

    [Fact]
    public async Task MaxSessions_PostgresThirdSessionIsRefusedWith53300_AuditedAndTheSlotComesBack()
    {
        await ApplyLimitedRoleAsync();
        var user = await Cluster.AddUserAsync("m" + Guid.NewGuid().ToString("N")[..10], "developer,two-sessions", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        await using var first = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await using var second = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await first.OpenAsync();
        await second.OpenAsync();

        await using (var third = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds)))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => third.OpenAsync());
            Assert.Equal("53300", ex.SqlState);
            Assert.Contains("max_sessions 2", ex.MessageText);
        }

        // The two sessions work; closing one lets a new one in.
        await using (var cmd = new NpgsqlCommand("SELECT 1", second))
        {
            Assert.Equal(1, (int)(await cmd.ExecuteScalarAsync())!);
        }
        await first.CloseAsync();
        await using var again = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        var opened = false;
        for (var i = 0; i < 100 && !opened; i++)
        {
            try
            {
                await again.OpenAsync();
                opened = true;
            }
            catch (PostgresException e) when (e.SqlState == "53300")
            {
                await Task.Delay(100); // the agent sees the close a moment after the client
            }
        }
        Assert.True(opened);

        // A refused session is a db.session.start with code TDB00W, success false and the error.
        var starts = await UserEventsAsync(user.User, "db.session.start", 4);
        Assert.Contains(starts, e => e.GetProperty("code").GetString() == "TDB00W" && !e.GetProperty("success").GetBoolean()
            && e.GetProperty("error").GetString()!.Contains("max_sessions", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MaxSessions_MySqlThirdSessionIsRefusedWith1203()
    {
        await ApplyLimitedRoleAsync();
        var user = await Cluster.AddUserAsync("y" + Guid.NewGuid().ToString("N")[..10], "developer,two-sessions", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "my1", "alice", "app", protocol: "mysql");
        await using var first = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await using var second = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await first.OpenAsync();
        await second.OpenAsync();
        await using var third = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        var ex = await Assert.ThrowsAsync<MySqlException>(() => third.OpenAsync());
        Assert.Equal(1203, ex.Number);
        Assert.Contains("max_sessions", ex.Message);
    }

    [Fact]
    public async Task LoImportAndExport_OfThreeMegabytes_AreAFewAggregatedEvents_CoveringEveryByte()
    {
        var user = await Cluster.AddUserAsync("lo" + Guid.NewGuid().ToString("N")[..9], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var dir = Path.Combine(Cluster.Root, "lo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var source = Path.Combine(dir, "in.bin");
        var data = new byte[3 * 1024 * 1024];
        new Random(20).NextBytes(data);
        await File.WriteAllBytesAsync(source, data);

        var (code, output) = await Cluster.PsqlAsync(creds, $"\\lo_import {source}");
        Assert.True(code == 0, output);
        var oid = output.Trim().Split(' ')[^1];
        var target = Path.Combine(dir, "out.bin");
        (code, output) = await Cluster.PsqlAsync(creds, $"\\lo_export {oid} {target}");
        Assert.True(code == 0, output);
        Assert.Equal(data, await File.ReadAllBytesAsync(target));

        // Without aggregation: one event per 8 KB chunk each way (about 770). With it: a handful per run of calls.
        var calls = await UserEventsAsync(user.User, "db.session.function_call", 4);
        Assert.InRange(calls.Count, 4, 20);
        static long Detail(JsonElement e, string key) =>
            e.TryGetProperty("details", out var d) && d.TryGetProperty(key, out var v) ? long.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var aggregated = calls.Where(e => Detail(e, "calls") > 1).ToList();
        Assert.True(aggregated.Count >= 2, string.Join("\n", calls));
        Assert.All(aggregated, e => Assert.Equal(64, e.GetProperty("details").GetProperty("arguments_sha256").GetString()!.Length));
        // lowrite's arguments carry the whole file: the run's argument bytes cover every byte written.
        Assert.Contains(aggregated, e => Detail(e, "argument_bytes") >= data.Length);
        Assert.True(aggregated.Sum(e => Detail(e, "calls")) >= 2 * (data.Length / 8192), string.Join("\n", calls));
        // What came back is counted as for any statement: each call's answer is a row, and loread's answers carry the
        // whole file back (rows and bytes_out, which egress budgets and max_query_bytes see too).
        Assert.All(calls, e => Assert.Equal(Math.Max(1, Detail(e, "calls")), e.GetProperty("rows").GetInt64()));
        Assert.Contains(aggregated, e => e.GetProperty("bytes_out").GetInt64() >= data.Length);
    }

    [Fact]
    public async Task AuditStoreAndSpools_AreOwnerOnly()
    {
        var creds = await Cluster.LoginAsync(await Cluster.AddUserAsync("f" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice"), "pg1", "alice", "app");
        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.True(code == 0, output);
        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        var audit = new DirectoryInfo(Path.Combine(Cluster.DataDir, "audit"));
        var spool = new DirectoryInfo(Path.Combine(Cluster.DataDir, "spool"));
        var entries = new[] { audit, spool }
            .Concat(audit.EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
            .Concat(spool.EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
            .ToList();
        Assert.Contains(entries, e => e.Name.StartsWith("seg-", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.True((e.UnixFileMode & Others) == 0, $"{e.FullName} is {e.UnixFileMode}"));
    }
}
