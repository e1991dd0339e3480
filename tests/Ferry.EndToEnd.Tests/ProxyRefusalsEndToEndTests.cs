using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ferry.Testing;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Refusals the proxy answers itself — no TLS, garbage, oversize handshakes, the other protocol's route, a database
/// no agent serves, connection caps — get a precise error and an audit event; cancels survive a junk flood and a
/// valid-key flood opens no database connection per packet; a startup without <c>user</c> uses the route's db user.
/// The class has its own cluster: refusal events are aggregated per (reason, protocol, source address) and minute,
/// so each test here uses a reason no other test of the class produces from the same address.
/// </summary>
public sealed class ProxyRefusalsEndToEndTests(ConnectionCapClusterFixture fixture) : IClassFixture<ConnectionCapClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private async Task<FerryCluster.Credentials> LoginAsync(string service, string protocol = "postgres")
    {
        var user = await Cluster.AddUserAsync("r" + Guid.NewGuid().ToString("N")[..10], "developer", "db_users=alice");
        return await Cluster.LoginAsync(user, service, "alice", "app", protocol);
    }

    /// <summary>Polls the audit log (as an admin) until an event matches; fails after 30 s.</summary>
    private async Task<JsonElement> WaitForEventAsync(string contains, Func<JsonElement, bool> match)
    {
        var admin = await Cluster.AddUserAsync("admin" + Guid.NewGuid().ToString("N")[..6], "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string body = "";
        while (DateTime.UtcNow < deadline)
        {
            body = await api.GetStringAsync($"/v1/audit/search?contains={Uri.EscapeDataString(contains)}&since=1h");
            using var doc = JsonDocument.Parse(body);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (match(e))
                {
                    return e.Clone();
                }
            }
            await Task.Delay(250);
        }
        Assert.Fail($"no audit event matching '{contains}': {body}");
        return default;
    }

    private static string? Detail(JsonElement e, string key) =>
        e.TryGetProperty("details", out var d) && d.TryGetProperty(key, out var v) ? v.GetString() : null;

    private static string Text(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    [Fact]
    public async Task PsqlWithSslmodeDisable_IsRefused_AndAudited()
    {
        var (code, output) = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [$"host=127.0.0.1 port={Cluster.ProxyPort} user=alice dbname=app sslmode=disable", "-c", "SELECT 1"]);
        Assert.NotEqual(0, code);
        Assert.Contains("TLS is required", output);
        var e = await WaitForEventAsync("tls_required", e => Detail(e, "reason") == "tls_required" && Text(e, "db_protocol") == "postgres");
        Assert.Equal("TDB00W", Text(e, "code"));
        Assert.Equal("db.session.start", Text(e, "type"));
        Assert.StartsWith("127.0.0.1:", Text(e, "client_addr"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbageFirstBytes_OnThePostgresPort_GetAFatalError_AndAreAudited()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = await RawPostgres.SendRawAsync(Cluster.ProxyPort, "GET / HTTP/1.0\r\n\r\n"u8.ToArray(), timeout.Token);
        Assert.True(answer.Length > 5 && answer[0] == (byte)'E', Convert.ToHexString(answer));
        var error = RawPostgres.ErrorText(answer[5..]);
        Assert.Contains("invalid startup packet", error);
        await WaitForEventAsync("bad_startup", e => Detail(e, "reason") == "bad_startup" && Text(e, "db_protocol") == "postgres");
    }

    [Fact]
    public async Task OversizeMySqlHandshake_GetsPacketTooLarge_AndIsAudited()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, Cluster.MySqlPort, timeout.Token);
        await using var net = new NetworkStream(socket, ownsSocket: false);
        var greeting = await Ferry.Protocol.MySql.Packets.MySqlPacketStream.ReadAsync(net, 1 << 20, timeout.Token);
        Assert.NotNull(greeting);
        // A header announcing a 4 MiB HandshakeResponse (seq 1), then some of it.
        var header = new byte[] { 0x00, 0x00, 0x40, 0x01 };
        await net.WriteAsync(header, timeout.Token);
        await net.WriteAsync(new byte[4096], timeout.Token);
        var err = await Ferry.Protocol.MySql.Packets.MySqlPacketStream.ReadAsync(net, 1 << 20, timeout.Token);
        Assert.NotNull(err);
        Assert.Equal(2, err.Value.SequenceId);
        Assert.Equal(0xFF, err.Value.Payload[0]);
        Assert.Equal(1153, BinaryPrimitives.ReadUInt16LittleEndian(err.Value.Payload.AsSpan(1)));
        Assert.Contains("handshake packet refused", Encoding.UTF8.GetString(err.Value.Payload));
        await WaitForEventAsync("too_large", e => Detail(e, "reason") == "too_large" && Text(e, "db_protocol") == "mysql");
    }

    [Fact]
    public async Task MySqlClientWithAPostgresRoute_GetsAPreciseError_AndIsAudited()
    {
        var creds = await LoginAsync("pg1");
        var (code, output) = await Cluster.MySqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("1049", output);
        Assert.Contains("1045", output);
        Assert.Contains("a PostgreSQL database, not a MySQL one", output);
        var e = await WaitForEventAsync("not a MySQL one", e => Text(e, "db_service") == "pg1" && Text(e, "db_protocol") == "mysql");
        Assert.Equal("TDB00W", Text(e, "code"));
        Assert.False(string.IsNullOrEmpty(Text(e, "user")));
    }

    [Fact]
    public async Task PsqlWithAMySqlRoute_GetsAPreciseError_AndIsAudited()
    {
        var creds = await LoginAsync("my1", "mysql");
        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("a MySQL database, not a PostgreSQL one", output);
        await WaitForEventAsync("not a PostgreSQL one", e => Text(e, "db_service") == "my1" && Text(e, "db_protocol") == "postgres");
    }

    [Fact]
    public async Task ARouteNoAgentServes_IsRefused_AndAudited()
    {
        var creds = await LoginAsync("ghost" + Guid.NewGuid().ToString("N")[..6]);
        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("no agent serving it is connected", output);
        var e = await WaitForEventAsync("no_agent", e => Detail(e, "reason") == "no_agent" && Text(e, "db_protocol") == "postgres");
        Assert.StartsWith("ghost", Text(e, "db_service"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(Text(e, "user")));
    }

    [Fact]
    public async Task StartupWithoutUser_UsesTheRoutesDefaultDbUser()
    {
        var creds = await LoginAsync("pg1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var pg = await RawPostgres.StartAsync(Cluster.ProxyPort, creds.Certificate, [("database", "app"), ("application_name", "no-user")], timeout.Token);
        Assert.Null(pg.StartupError);
        Assert.Equal("alice|app", await pg.ScalarAsync("SELECT current_user || '|' || current_database()", timeout.Token));
    }

    [Fact]
    public async Task MySqlHandshakeWithoutUser_UsesTheRoutesDefaultDbUser()
    {
        var creds = await LoginAsync("my1", "mysql");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "", "app", timeout.Token);
        var rows = await client.QueryAsync("SELECT CURRENT_USER()", timeout.Token);
        Assert.StartsWith("alice@", Assert.Single(rows), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JunkCancelFlood_FromTheClientsAddress_DoesNotStopItsRealCancel_AndIsAudited()
    {
        var creds = await LoginAsync("pg1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        // Far over the 20 unknown keys a minute that used to disable every cancel from this address.
        for (var i = 0; i < 60; i++)
        {
            await RawPostgres.CancelAsync(Cluster.ProxyPort, 1000 + i, [1, 2, 3, 4], timeout.Token);
        }
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_sleep(60)", conn);
        var run = cmd.ExecuteNonQueryAsync();
        await using (var watcher = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds)))
        {
            await watcher.OpenAsync();
            for (var i = 0; i < 400; i++)
            {
                await using var probe = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(60)'", watcher);
                if ((long)(await probe.ExecuteScalarAsync())! > 0)
                {
                    break;
                }
                await Task.Delay(50);
            }
        }
        cmd.Cancel();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => run);
        var pg = ex as PostgresException ?? ex.InnerException as PostgresException;
        Assert.True(pg is not null, ex.ToString());
        Assert.Equal("57014", pg.SqlState);
        var e = await WaitForEventAsync("cancel_unknown_key", e => Detail(e, "reason") == "cancel_unknown_key");
        Assert.Equal("TDB03W", Text(e, "code"));
        Assert.Equal("db.session.cancel", Text(e, "type"));
    }

    [Fact]
    public async Task ValidKeyCancelFlood_DoesNotOpenADatabaseConnectionPerPacket_AndIsAudited()
    {
        var creds = await LoginAsync("pg1");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var pg = await RawPostgres.StartAsync(Cluster.ProxyPort, creds.Certificate, [("user", "alice"), ("database", "app")], timeout.Token);
        Assert.Null(pg.StartupError);
        Assert.NotEmpty(pg.SecretKey);
        var before = await CancelCountAsync("agent", "forwarded");
        const int sent = 200;
        for (var i = 0; i < sent; i++)
        {
            await RawPostgres.CancelAsync(Cluster.ProxyPort, pg.ProcessId, pg.SecretKey, timeout.Token);
        }
        var forwarded = await CancelCountAsync("agent", "forwarded") - before;
        // 5 at once, then one a second: a flood of 200 reaches the database a handful of times, not 200.
        Assert.True(forwarded >= 1 && forwarded < sent / 4, $"{forwarded} of {sent} cancels reached the database");
        Assert.True(await CancelCountAsync("proxy", "throttled") >= sent - forwarded - 5);
        await WaitForEventAsync("cancel_throttled", e => Detail(e, "reason") == "cancel_throttled" && Text(e, "code") == "TDB03W");
        // The session is still usable.
        Assert.Equal("1", await pg.ScalarAsync("SELECT 1", timeout.Token));
    }

    private async Task<long> CancelCountAsync(string side, string result)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{Cluster.DiagPort}/metrics"));
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith("ferry_cancels_total{", StringComparison.Ordinal) && line.Contains($"side=\"{side}\"", StringComparison.Ordinal)
                && line.Contains($"result=\"{result}\"", StringComparison.Ordinal))
            {
                return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    [Fact]
    public async Task OneAddressAtItsConnectionCap_IsRefusedWith1040_WhileOthersStillConnect_AndIsAudited()
    {
        var from = IPAddress.Parse("127.0.0.9");
        const int cap = ConnectionCapClusterFixture.PerSourceCap; // this class's proxy.max_connections_per_source
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < cap; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(s);
                s.Bind(new IPEndPoint(from, 0));
                await s.ConnectAsync(IPAddress.Loopback, Cluster.MySqlPort, timeout.Token);
            }
            // The held connections got greetings (they are being served), the next one gets ERR 1040 instead.
            await using (var first = new NetworkStream(held[0], ownsSocket: false))
            {
                var greeting = await Ferry.Protocol.MySql.Packets.MySqlPacketStream.ReadAsync(first, 1 << 20, timeout.Token);
                Assert.NotNull(greeting);
                Assert.Equal(10, greeting.Value.Payload[0]);
            }
            var answer = await RawPostgres.SendRawAsync(Cluster.MySqlPort, [], timeout.Token, from);
            Assert.True(answer.Length > 7, Convert.ToHexString(answer));
            Assert.Equal(0xFF, answer[4]);
            Assert.Equal(1040, BinaryPrimitives.ReadUInt16LittleEndian(answer.AsSpan(5)));
            Assert.Contains("too many connections", Encoding.UTF8.GetString(answer));

            // Another address is not affected.
            var creds = await LoginAsync("my1", "mysql");
            var (code, output) = await Cluster.MySqlAsync(creds, "SELECT 7");
            Assert.True(code == 0, output);
            Assert.Equal("7", output.Trim());
        }
        finally
        {
            foreach (var s in held)
            {
                s.Dispose();
            }
        }
        var e = await WaitForEventAsync("source_connection_limit", e => Detail(e, "reason") == "source_connection_limit");
        Assert.StartsWith("127.0.0.9:", Text(e, "client_addr"), StringComparison.Ordinal);
    }
}
