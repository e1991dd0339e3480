using System.Globalization;
using Ferry.Testing;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// <c>ferry proxy db</c> must not serve every user of the machine: on 127.0.0.1 it asks the per-run secret as the
/// password, on a Unix socket only the owner can open it, and <c>--no-auth</c> is the one explicit way to go without.
/// </summary>
public sealed partial class ClientEndToEndTests
{
    private static Task<(int ExitCode, string Output)> PsqlNoPromptAsync(string conninfo, string sql, Dictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"), [conninfo, "-w", "-X", "-A", "-t", "-c", sql], TimeSpan.FromMinutes(2), environment: environment);

    [Fact]
    public async Task ProxyDb_Postgres_RefusesAClientWithoutOrWithAWrongPassword_AndServesTheOneWithIt()
    {
        using var cli = await LoggedInAsync();
        var port = FerryCli.PortText(FreePort.Next());
        using var proxy = await cli.StartAsync(["proxy", "db", "pg1", "--port", port, "--db-user", "alice", "--db-name", "app"], "Press Ctrl+C");
        var secret = FerryCli.LocalProxySecret(proxy.Output);
        var conninfo = $"host=127.0.0.1 port={port} user=alice dbname=app sslmode=disable";

        var none = await PsqlNoPromptAsync(conninfo, "SELECT 1");
        Assert.NotEqual(0, none.ExitCode);
        Assert.Contains("no password supplied", none.Output);

        var wrong = await PsqlNoPromptAsync(conninfo + " password=" + new string('x', 32), "SELECT 1");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("password authentication failed for user \"alice\"", wrong.Output);

        await using (var conn = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=alice;Password=guess;Database=app;SSL Mode=Disable;Pooling=false;Timeout=30"))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
            Assert.Equal("28P01", e.SqlState);
        }

        var right = await PsqlNoPromptAsync(conninfo, "SELECT 'with the secret ' || current_user", new() { ["PGPASSWORD"] = secret });
        Assert.True(right.ExitCode == 0, right.Output + proxy.Output);
        Assert.Equal("with the secret alice", right.Output.Trim());
        Assert.Contains("refused a connection for database user \"alice\": wrong password", proxy.Output);
        Assert.DoesNotContain(secret, proxy.Output[(proxy.Output.IndexOf("Press Ctrl+C", StringComparison.Ordinal))..]);
    }

    [Fact]
    public async Task ProxyDb_MySql_RefusesAClientWithoutOrWithAWrongPassword_AndServesTheOneWithIt()
    {
        using var cli = await LoggedInAsync();
        var port = FerryCli.PortText(FreePort.Next());
        using var proxy = await cli.StartAsync(["proxy", "db", "my1", "--port", port, "--db-user", "alice", "--db-name", "app"], "Press Ctrl+C");
        var secret = FerryCli.LocalProxySecret(proxy.Output);
        string[] common = ["--no-defaults", "--host=127.0.0.1", $"--port={port}", "--user=alice", "--skip-ssl", "--batch", "--skip-column-names"];

        var (none, noneOutput) = await cli.MySqlClientAsync([.. common, "-e", "SELECT 1", "app"]);
        Assert.NotEqual(0, none);
        Assert.Contains("ERROR 1045", noneOutput);
        Assert.Contains("(using password: NO)", noneOutput);

        var (wrong, wrongOutput) = await cli.MySqlClientAsync([.. common, "--password=" + new string('x', 32), "-e", "SELECT 1", "app"]);
        Assert.NotEqual(0, wrong);
        Assert.Contains("ERROR 1045", wrongOutput);
        Assert.Contains("(using password: YES)", wrongOutput);

        // MySqlConnector answers the greeting's plugin; a caching_sha2_password answer is switched to mysql_native_password first.
        await using (var conn = new MySqlConnector.MySqlConnection($"Server=127.0.0.1;Port={port};User ID=alice;Password=guess;Database=app;SslMode=None;Pooling=false;Connection Timeout=30"))
        {
            var e = await Assert.ThrowsAsync<MySqlConnector.MySqlException>(() => conn.OpenAsync());
            Assert.Equal(MySqlConnector.MySqlErrorCode.AccessDenied, e.ErrorCode);
        }

        var (right, rightOutput) = await cli.MySqlClientAsync([.. common, "--password=" + secret, "--default-auth=caching_sha2_password", "-e", "SELECT CONCAT('with the secret ', CURRENT_USER())", "app"]);
        Assert.True(right == 0, rightOutput + proxy.Output);
        Assert.StartsWith("with the secret alice@", rightOutput.Trim());
        Assert.Contains("refused a connection for database user \"alice\": no password", proxy.Output);
        Assert.Contains("refused a connection for database user \"alice\": wrong password", proxy.Output);
    }

    [Fact]
    public async Task ProxyDb_WithNoAuth_AsksNoPassword_AndSaysEveryLocalUserCanConnect()
    {
        using var cli = await LoggedInAsync();
        var port = FerryCli.PortText(FreePort.Next());
        using var proxy = await cli.StartAsync(["proxy", "db", "pg1", "--port", port, "--db-user", "alice", "--db-name", "app", "--no-auth"], "Press Ctrl+C");
        Assert.DoesNotContain("Password:", proxy.Output);
        Assert.Contains("every user of this machine can connect as you", proxy.Output);
        var open = await PsqlNoPromptAsync($"host=127.0.0.1 port={port} user=alice dbname=app sslmode=disable", "SELECT 'open'");
        Assert.True(open.ExitCode == 0, open.Output + proxy.Output);
        Assert.Equal("open", open.Output.Trim());
    }

    [Fact]
    public async Task ProxyDb_OnAUnixSocket_IsOwnerOnly_AndServesPsqlAndMysqlWithoutPassword()
    {
        using var cli = await LoggedInAsync();
        var dir = Path.Combine(cli.Home, "run");
        var port = FerryCli.PortText(FreePort.Next());
        using (var proxy = await cli.StartAsync(["proxy", "db", "pg1", "--socket", dir, "--port", port, "--db-user", "alice", "--db-name", "app"], "Press Ctrl+C"))
        {
            var socket = Path.Combine(dir, ".s.PGSQL." + port);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
            Assert.DoesNotContain("Password:", proxy.Output);
            Assert.Contains($"psql \"host={dir} port={port} user=alice dbname=app\"", proxy.Output);
            var viaSocket = await PsqlNoPromptAsync($"host={dir} port={port} user=alice dbname=app", "SELECT 'socket ' || current_user");
            Assert.True(viaSocket.ExitCode == 0, viaSocket.Output + proxy.Output);
            Assert.Equal("socket alice", viaSocket.Output.Trim());
        }

        using (var proxy = await cli.StartAsync(["proxy", "db", "my1", "--socket", dir, "--db-user", "alice", "--db-name", "app"], "Press Ctrl+C"))
        {
            var socket = Path.Combine(dir, "mysql.sock");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
            var (code, output) = await cli.MySqlClientAsync("--no-defaults", "--socket=" + socket, "--user=alice", "--skip-ssl", "--batch", "--skip-column-names", "-e", "SELECT CONCAT('socket ', CURRENT_USER())", "app");
            Assert.True(code == 0, output + proxy.Output);
            Assert.StartsWith("socket alice@", output.Trim());
        }

        // A directory other users can open is refused: the socket's own mode would be the only guard.
        var open = Path.Combine(cli.Home, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)Convert.ToInt32("755", 8));
        var (refused, refusedOutput) = await cli.RunAsync(["proxy", "db", "pg1", "--socket", open, "--port", port, "--db-user", "alice", "--db-name", "app"]);
        Assert.Equal(1, refused);
        Assert.Contains("is open to other users (mode 755)", refusedOutput);
    }
}
