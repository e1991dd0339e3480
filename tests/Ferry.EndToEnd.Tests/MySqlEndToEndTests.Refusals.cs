using System.Buffers;
using System.Text;
using CommandCode = Ferry.Protocol.MySql.Commands.CommandCode;
using ComChangeUser = Ferry.Protocol.MySql.Commands.ComChangeUser;
using Ferry.Protocol.MySql.Responses;
using Ferry.Testing;
using MySqlConnector;

namespace Ferry.EndToEnd.Tests;

public sealed partial class MySqlEndToEndTests
{
    [Fact]
    public async Task DeniedDbUser_IsRefusedWith1045_NamingTheRule_AndAudited()
    {
        var creds = await LoginAsync();
        var (code, output) = await Cluster.MySqlAsync(creds, "SELECT 1", user: "root");
        Assert.NotEqual(0, code);
        Assert.Contains("1045", output);
        Assert.Contains("db user \"root\"", output);
        Assert.Contains("denied", output);

        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds, user: "root"));
        var ex = await Assert.ThrowsAsync<MySqlException>(() => conn.OpenAsync());
        Assert.Equal(1045, ex.Number);
        Assert.Equal("28000", ex.SqlState);

        var audit = await SearchUserAuditAsync(UserOf(creds), "TDB00W");
        Assert.Contains("db.session.start", audit);
        Assert.Contains("\"db_user\":\"root\"", audit);
        Assert.Contains("\"db_protocol\":\"mysql\"", audit);
    }

    [Fact]
    public async Task DeniedLabel_IsRefused_NamingTheDenyRule()
    {
        var creds = await LoginAsync("myprod");
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        var ex = await Assert.ThrowsAsync<MySqlException>(() => conn.OpenAsync());
        Assert.Equal(1045, ex.Number);
        Assert.Contains("developer", ex.Message);
        Assert.Contains("env", ex.Message);
    }

    [Fact]
    public async Task SchemaNoRoleAllows_IsRefusedAtLoginAndOnUse()
    {
        var creds = await LoginAsync();
        var (code, output) = await Cluster.MySqlAsync(creds, "SELECT 1", database: "other");
        Assert.NotEqual(0, code);
        Assert.Contains("schema \"other\"", output);

        (code, output) = await Cluster.MySqlAsync(creds, "USE other; SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("1044", output);
        Assert.Contains("schema \"other\"", output);
    }

    [Fact]
    public async Task CertificateFromAnotherCa_IsRefusedWithAPreciseMessage()
    {
        using var pki = new TestPki("not ferry");
        var dir = Directory.CreateTempSubdirectory("ferry-foreign-").FullName;
        try
        {
            var (cert, key) = TestPki.WriteClientFiles(dir, "foreign", pki.IssueClient("alice"));
            var foreign = new FerryCluster.Credentials(cert, key, null!);
            var (code, output) = await Cluster.MySqlAsync(foreign, "SELECT 1");
            Assert.NotEqual(0, code);
            Assert.Contains("ferry:", output);
            Assert.Contains("CA", output, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task TlsClientWithoutCertificate_IsToldToLogIn()
    {
        var (code, output) = await ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb", "mysql")!,
            ["--no-defaults", "-h", "127.0.0.1", "-P", Cluster.MySqlPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", "alice",
             "--ssl", $"--ssl-ca={Cluster.HostCaPath}", "--ssl-verify-server-cert", "-e", "SELECT 1"]);
        Assert.NotEqual(0, code);
        Assert.Contains("no client certificate", output);
        Assert.Contains("ferry db login", output);
    }

    [Fact]
    public async Task MalformedHandshakeResponse_IsAnsweredWithBadHandshake_AndClosed()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Cluster.ProxyPort, timeout.Token);
        await using var ssl = new System.Net.Security.SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol("ferry-mysql")],
            ClientCertificates = [creds.Certificate],
            LocalCertificateSelectionCallback = (_, _, _, _, _) => creds.Certificate,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        }, timeout.Token);
        Assert.NotNull(await Ferry.Protocol.MySql.Packets.MySqlPacketStream.ReadAsync(ssl, 1 << 20, timeout.Token));
        // Protocol 4.1 capabilities, then the packet stops inside the fixed part.
        await Ferry.Protocol.MySql.Packets.MySqlPacketStream.WriteAsync(ssl, 1, new byte[] { 0x00, 0x02, 0x00, 0x00, 0xFF }, timeout.Token);
        var answer = await Ferry.Protocol.MySql.Packets.MySqlPacketStream.ReadAsync(ssl, 1 << 20, timeout.Token);
        Assert.NotNull(answer);
        Assert.Equal(2, answer.Value.SequenceId);
        var err = ErrPacket.Read(new ReadOnlySequence<byte>(answer.Value.Payload));
        Assert.Equal(1043, err.ErrorCode);
        Assert.Contains("bad handshake", Encoding.UTF8.GetString(err.Message));
        Assert.Null(await Ferry.Protocol.MySql.Packets.MySqlPacketStream.ReadAsync(ssl, 1 << 20, timeout.Token));
    }

    [Fact]
    public async Task ClientWithoutTls_GetsAnErrorAskingForTls()
    {
        var (code, output) = await ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb", "mysql")!,
            ["--no-defaults", "-h", "127.0.0.1", "-P", Cluster.MySqlPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", "alice", "--skip-ssl", "-e", "SELECT 1"]);
        Assert.NotEqual(0, code);
        Assert.Contains("TLS is required", output);
    }

    [Fact]
    public async Task ChangeUser_IsRefusedSayingWhy_AndAudited()
    {
        var creds = await LoginAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var client = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        var w = new ArrayBufferWriter<byte>();
        ComChangeUser.Write(w, "readonly"u8, [], "app"u8, 45, "mysql_native_password"u8);
        await client.SendAsync(w.WrittenMemory, timeout.Token);
        var answer = await client.ReadAsync(timeout.Token);
        Assert.NotNull(answer);
        var err = ErrPacket.Read(new ReadOnlySequence<byte>(answer.Value.Payload));
        var message = Encoding.UTF8.GetString(err.Message);
        Assert.Contains("COM_CHANGE_USER", message);
        Assert.Contains("readonly", message);

        // The connection still works as alice.
        await client.SendQueryAsync("SELECT CURRENT_USER()", timeout.Token);
        var first = await client.ReadAsync(timeout.Token);
        Assert.NotNull(first);
        Assert.NotEqual(0xFF, first.Value.Payload[0]);

        var audit = await SearchUserAuditAsync(UserOf(creds), "db.session.mysql.change_user");
        Assert.Contains("TMY13I", audit);
        Assert.Contains("\"db_user\":\"readonly\"", audit);
        Assert.Contains("\"success\":false", audit);
    }

    [Fact]
    public async Task MalformedPacket_ClosesOnlyThatConnection()
    {
        var creds = await LoginAsync();
        await using var healthy = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await healthy.OpenAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var bad = await RawMySqlClient.ConnectAsync(Cluster.MySqlPort, creds.Certificate, "alice", "app", timeout.Token);
        // COM_STMT_CLOSE with a 2-byte statement id.
        await bad.SendCommandAsync(new byte[] { (byte)CommandCode.StmtClose, 1, 2 }, timeout.Token);
        var answer = await bad.ReadAsync(timeout.Token);
        Assert.NotNull(answer);
        var err = ErrPacket.Read(new ReadOnlySequence<byte>(answer.Value.Payload));
        Assert.Contains("malformed", Encoding.UTF8.GetString(err.Message));
        Assert.Null(await bad.ReadAsync(timeout.Token));

        await using var cmd = new MySqlCommand("SELECT 'still here'", healthy);
        Assert.Equal("still here", await cmd.ExecuteScalarAsync());
    }
}
