using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Ferry.Testing;
using CommandCode = Ferry.Protocol.MySql.Commands.CommandCode;

namespace Ferry.EndToEnd.Tests;

/// <summary>Every MySQL command is audited or refused, and the schema is followed from the server itself.</summary>
public sealed partial class MySqlEndToEndTests
{
    private static readonly TimeSpan CommandsTimeout = TimeSpan.FromSeconds(60);

    private static (ushort Code, string Message) Err((byte SequenceId, byte[] Payload)? packet)
    {
        Assert.NotNull(packet);
        var payload = packet.Value.Payload;
        Assert.True(payload[0] == 0xFF, $"expected an ERR packet, got 0x{payload[0]:x2}");
        return (BinaryPrimitives.ReadUInt16LittleEndian(payload.AsSpan(1)), Encoding.UTF8.GetString(payload.AsSpan(9)));
    }

    private static List<JsonElement> Events(string audit) =>
        [.. JsonDocument.Parse(audit).RootElement.EnumerateArray()];

    [Fact]
    public async Task UseSentAsAQuery_OfASchemaNoRoleAllows_EndsTheSession_AndIsAudited()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        Assert.Equal(["app"], await client.QueryAsync("SELECT DATABASE()", timeout.Token));

        await client.SendQueryAsync("USE other", timeout.Token);
        var (code, message) = Err(await client.ReadAsync(timeout.Token));
        Assert.Equal(1044, code);
        Assert.Contains("schema \"other\"", message);
        Assert.Null(await client.ReadAsync(timeout.Token));

        var list = Events(await SearchUserAuditAsync(UserOf(creds), "access_denied"));
        var denied = Assert.Single(list, e => e.GetProperty("code").GetString() == "TMY21W");
        Assert.Contains("schema \"other\"", denied.GetProperty("error").GetString());
        var end = Assert.Single(list, e => e.GetProperty("type").GetString() == "db.session.end");
        Assert.Equal("access_denied", end.GetProperty("end_reason").GetString());
    }

    [Fact]
    public async Task UseInAMultiStatementFromTheCli_AndFromPyMySql_EndsTheSession()
    {
        var creds = await LoginAsync();
        var (code, output) = await Cluster.MySqlAsync(creds, "select 1; use other; select database()");
        Assert.NotEqual(0, code);
        Assert.Contains("schema \"other\"", output);
        Assert.DoesNotContain("\nother", output);

        var script = Path.Combine(Cluster.Root, "pymysql_use.py");
        await File.WriteAllTextAsync(script, $$"""
            import pymysql
            c = pymysql.connect(host="127.0.0.1", port={{Cluster.MySqlPort}}, user="alice", database="app",
                ssl={"ca": "{{Cluster.HostCaPath}}", "cert": "{{creds.CertPath}}", "key": "{{creds.KeyPath}}"})
            cur = c.cursor()
            cur.execute("SELECT DATABASE()")
            print("before", cur.fetchone()[0])
            try:
                cur.execute("USE other")
                cur.execute("SELECT DATABASE()")
                print("after", cur.fetchone()[0])
            except Exception as e:
                print("refused", e)
            """);
        // Debian's interpreter: python3-pymysql installs there, whatever python3 is first on PATH.
        var (pyCode, pyOutput) = await ProcessRunner.RunAsync("/usr/bin/python3", [script], TimeSpan.FromMinutes(1));
        Assert.True(pyCode == 0, pyOutput);
        Assert.Contains("before app", pyOutput);
        Assert.Contains("refused", pyOutput);
        Assert.Contains("1044", pyOutput);
        Assert.DoesNotContain("after", pyOutput);
    }

    [Fact]
    public async Task UseOfAnAllowedSchema_AsAQuery_IsFollowed_AndTheClientSeesPlainOkPackets()
    {
        // "other" allowed too (a trait): the session starts in app, the route's db name, and moves.
        var creds = await LoginAsync(traits: "db_users=alice;db_names=other");
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        // No schema in the handshake (the route's app); the raw client does not ask for session tracking: the agent strips it.
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "", timeout.Token);
        await client.SendQueryAsync("USE other", timeout.Token);
        var ok = await client.ReadAsync(timeout.Token);
        Assert.NotNull(ok);
        Assert.Equal(0x00, ok.Value.Payload[0]);
        var status = BinaryPrimitives.ReadUInt16LittleEndian(ok.Value.Payload.AsSpan(3));
        Assert.Equal(0, status & 0x4000); // SERVER_SESSION_STATE_CHANGED is not shown to a client that did not ask
        Assert.Equal(7, ok.Value.Payload.Length);
        Assert.Equal(["other"], await client.QueryAsync("SELECT DATABASE()", timeout.Token));

        var list = Events(await SearchUserAuditAsync(UserOf(creds), "TMY21I"));
        var moved = Assert.Single(list, e => e.GetProperty("code").GetString() == "TMY21I");
        Assert.Equal("other", moved.GetProperty("db_name").GetString());
    }

    [Fact]
    public async Task TurningSessionTrackingOff_EndsTheSession()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        await client.SendQueryAsync("SET session_track_schema = OFF", timeout.Token);
        var (code, message) = Err(await client.ReadAsync(timeout.Token));
        Assert.Equal(1044, code);
        Assert.Contains("session_track_schema", message);
        Assert.Null(await client.ReadAsync(timeout.Token));
    }

    [Fact]
    public async Task ResetConnection_KeepsTheSchemaFollowed()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        await client.SendCommandAsync(new[] { (byte)CommandCode.ResetConnection }, timeout.Token);
        var ok = await client.ReadAsync(timeout.Token);
        Assert.Equal(0x00, ok!.Value.Payload[0]);
        Assert.Equal(["1"], await client.QueryAsync("SELECT 1", timeout.Token));
        await client.SendQueryAsync("SET session_track_schema = OFF", timeout.Token);
        var (code, _) = Err(await client.ReadAsync(timeout.Token));
        Assert.Equal(1044, code);
    }

    [Fact]
    public async Task ReplicationAndUnknownCommands_AreRefusedWithAnError_Audited_AndTheSessionCarriesOn()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);

        // COM_BINLOG_DUMP: position 4, flags 0, server id 77, no file name.
        await client.SendCommandAsync(new byte[] { (byte)CommandCode.BinlogDump, 4, 0, 0, 0, 0, 0, 77, 0, 0, 0 }, timeout.Token);
        var (code, message) = Err(await client.ReadAsync(timeout.Token));
        Assert.Equal(1227, code);
        Assert.Contains("options.mysql_replication", message);
        await client.SendCommandAsync(new byte[] { (byte)CommandCode.RegisterSlave, 77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, timeout.Token);
        Assert.Equal(1227, Err(await client.ReadAsync(timeout.Token)).Code);
        foreach (var unknown in new byte[] { 0xFE, 0xFA, (byte)CommandCode.Sleep, (byte)CommandCode.Daemon })
        {
            await client.SendCommandAsync(new byte[] { unknown, 1, 2, 3 }, timeout.Token);
            Assert.Equal(1047, Err(await client.ReadAsync(timeout.Token)).Code);
        }
        Assert.Equal(["1"], await client.QueryAsync("SELECT 1", timeout.Token));

        var list = Events(await SearchUserAuditAsync(UserOf(creds), "COM_DAEMON"));
        Assert.Equal(["COM_BINLOG_DUMP", "COM_REGISTER_SLAVE"], list.Where(e => e.GetProperty("code").GetString() == "TMY19W")
            .Select(e => e.GetProperty("details").GetProperty("command").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["0x00", "0x1d", "0xfa", "0xfe"], list.Where(e => e.GetProperty("code").GetString() == "TMY20W")
            .Select(e => e.GetProperty("details").GetProperty("code").GetString()).Order(StringComparer.Ordinal));
        Assert.All(list.Where(e => e.GetProperty("code").GetString() is "TMY19W" or "TMY20W"), e => Assert.False(e.GetProperty("success").GetBoolean()));
    }

    [Fact]
    public async Task ReplicationCommand_IsRelayed_WhenARoleAllowsIt()
    {
        var rolePath = Path.Combine(Cluster.Root, "replicator.yaml");
        await File.WriteAllTextAsync(rolePath, """
            kind: role
            name: replicator
            options: { mysql_replication: true }
            allow:
              db_labels: { env: [dev, staging] }
              db_users: [alice]
            """);
        await Cluster.AdminAsync("roles", "apply", "-f", rolePath);
        var creds = await LoginAsync(roles: "developer,replicator");
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        await client.SendCommandAsync(new byte[] { (byte)CommandCode.BinlogDump, 4, 0, 0, 0, 0, 0, 77, 0, 0, 0 }, timeout.Token);
        // The fixture's server runs without a binary log: its own error, not Ferry's.
        var (_, message) = Err(await client.ReadAsync(timeout.Token));
        Assert.DoesNotContain("ferry:", message);
        // (The server ends a connection after COM_BINLOG_DUMP, whatever its outcome: no statement follows it.)

        var list = Events(await SearchUserAuditAsync(UserOf(creds), "TMY19I"));
        Assert.Contains(list, e => e.GetProperty("code").GetString() == "TMY19I");
    }

    [Fact]
    public async Task FieldListStatisticsAndProcessInfo_AreAudited_AndLaterResponsesStayInStep()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        var table = "fl_" + Guid.NewGuid().ToString("N")[..8];
        await client.SendQueryAsync($"CREATE TABLE {table} (a INT, b TEXT)", timeout.Token);
        Assert.Equal(0x00, (await client.ReadAsync(timeout.Token))!.Value.Payload[0]);

        await client.SendCommandAsync((byte[])[(byte)CommandCode.FieldList, .. Encoding.ASCII.GetBytes(table), 0], timeout.Token);
        for (var i = 0; ; i++)
        {
            var packet = await client.ReadAsync(timeout.Token);
            Assert.True(i < 10 && packet is not null);
            if (packet.Value.Payload[0] == 0xFE)
            {
                break;
            }
        }
        await client.SendCommandAsync(new[] { (byte)CommandCode.Statistics }, timeout.Token);
        var statistics = await client.ReadAsync(timeout.Token);
        Assert.Contains("Uptime", Encoding.UTF8.GetString(statistics!.Value.Payload));
        Assert.Equal(["1"], await client.QueryAsync("SELECT 1", timeout.Token));

        var list = Events(await SearchUserAuditAsync(UserOf(creds), "TMY17I"));
        var fieldList = Assert.Single(list, e => e.GetProperty("code").GetString() == "TMY16I");
        Assert.Equal(table, fieldList.GetProperty("details").GetProperty("table").GetString());
        Assert.Single(list, e => e.GetProperty("code").GetString() == "TMY17I");
    }

    [Fact]
    public async Task LoadDataLocalInfile_IsRefusedByTheServer_AndAuditedAsAFailedQuery()
    {
        var creds = await LoginAsync();
        var marker = "infile_" + Guid.NewGuid().ToString("N")[..8];
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        var sql = $"LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE {marker}";
        await client.SendQueryAsync(sql, timeout.Token);
        var (_, message) = Err(await client.ReadAsync(timeout.Token));
        Assert.Equal(["1"], await client.QueryAsync("SELECT 1", timeout.Token));

        var list = Events(await SearchAuditAsync(marker, "TDB02W"));
        var failed = Assert.Single(list, e => e.GetProperty("code").GetString() == "TDB02W");
        Assert.Equal(sql, failed.GetProperty("query").GetString());
        Assert.False(failed.GetProperty("success").GetBoolean());
        Assert.Contains(message, failed.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Greeting_AdvertisesTheServersDefaultCollation()
    {
        using var timeout = new CancellationTokenSource(CommandsTimeout);
        var server = await GreetingCollationAsync(Cluster.MariaDb.Port, timeout.Token);
        // The proxy learns it from the agent's heartbeat: wait for it (bounded).
        byte greeted = 0;
        for (var i = 0; i < 60 && greeted != server; i++)
        {
            greeted = await GreetingCollationAsync(Cluster.MySqlPort, timeout.Token);
            if (greeted != server)
            {
                await Task.Delay(500, timeout.Token);
            }
        }
        Assert.Equal(server, greeted);
    }

    private static async Task<byte> GreetingCollationAsync(int port, CancellationToken ct)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, ct);
        var packet = await Ferry.Protocol.MySql.Packets.MySqlPacketStream.ReadAsync(tcp.GetStream(), 1 << 16, ct) ?? throw new IOException("no greeting");
        return Ferry.Protocol.MySql.Handshake.HandshakeV10.Read(new System.Buffers.ReadOnlySequence<byte>(packet.Payload)).CharacterSet;
    }
}
