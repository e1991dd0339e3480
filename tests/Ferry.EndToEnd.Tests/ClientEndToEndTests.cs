using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ferry.Client;
using Ferry.Testing;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>The AOT <c>ferry</c> client against a real cluster: login, RBAC-filtered listing, native clients, local proxy.</summary>
public sealed partial class ClientEndToEndTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private Task<FerryCluster.UserSecrets> NewUserAsync(string roles = "developer", string traits = "db_users=alice") =>
        Cluster.AddUserAsync("c" + Guid.NewGuid().ToString("N")[..10], roles, traits);

    private async Task<FerryCli> LoggedInAsync(string roles = "developer", string traits = "db_users=alice")
    {
        var cli = new FerryCli(Cluster);
        var (code, output) = await cli.LoginAsync(await NewUserAsync(roles, traits));
        Assert.True(code == 0, output);
        return cli;
    }

    [Fact]
    public async Task Login_WithPasswordStdinAndOtp_PinsTheCaStoresOwnerOnlyFiles_AndStatusShowsTheUser()
    {
        using var cli = new FerryCli(Cluster);
        var user = await NewUserAsync();
        var (code, output) = await cli.LoginAsync(user);
        Assert.True(code == 0, output);
        using var hostCa = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Cluster.HostCaPath));
        Assert.Contains(CaPin.Of(hostCa).ToString(), output);
        Assert.Contains("Pinned on first use", output);
        Assert.Contains($"as {user.User} (roles: developer)", output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cli.FerryHome, "key.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cli.FerryHome));
        Assert.Contains("BEGIN PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(cli.FerryHome, "key.pem")));

        var status = await cli.RunCheckedAsync("status");
        Assert.Contains("User:      " + user.User, status);
        Assert.Contains("Roles:     developer", status);
        Assert.Contains(cli.Proxy, status);

        var logout = await cli.RunCheckedAsync("logout");
        Assert.Contains("Logged out", logout);
        Assert.False(File.Exists(Path.Combine(cli.FerryHome, "key.pem")));
        var (after, afterOutput) = await cli.RunAsync(["status"]);
        Assert.Equal(1, after);
        Assert.Equal("ferry: not logged in: run `ferry login --proxy HOST:3080 --user NAME`", afterOutput.Trim());
    }

    [Fact]
    public async Task Login_WithTheRightCaPin_Succeeds_AndWithAnotherPin_IsRefusedBeforeAnythingIsSaved()
    {
        using var hostCa = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Cluster.HostCaPath));
        var pin = CaPin.Of(hostCa).ToString();

        using (var wrong = new FerryCli(Cluster))
        {
            var (code, output) = await wrong.LoginAsync(await NewUserAsync(), "--ca-pin", "sha256:" + new string('0', 64));
            Assert.Equal(1, code);
            Assert.Contains("impostor", output);
            Assert.Single(output.Trim().Split('\n'));
            Assert.False(File.Exists(Path.Combine(wrong.FerryHome, "profile.json")));
        }

        using var right = new FerryCli(Cluster);
        var (ok, okOutput) = await right.LoginAsync(await NewUserAsync(), "--ca-pin", pin.ToUpperInvariant().Replace("SHA256:", "sha256:", StringComparison.Ordinal));
        Assert.True(ok == 0, okOutput);
        Assert.Contains("matches --ca-pin", okOutput);
    }

    [Fact]
    public async Task Login_WithAWrongPassword_FailsWithOneLine()
    {
        using var cli = new FerryCli(Cluster);
        var user = await NewUserAsync();
        var (code, output) = await cli.LoginAsync(user with { Password = "wrong" + user.Password });
        Assert.Equal(1, code);
        var errors = output.Split('\n').Where(l => l.StartsWith("ferry:", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.DoesNotContain("   at ", output);
        Assert.False(File.Exists(Path.Combine(cli.FerryHome, "key.pem")));
    }

    [Fact]
    public async Task CommandsNeedingALogin_SayWhatToRun_WhenNotLoggedIn()
    {
        using var cli = new FerryCli(Cluster);
        foreach (var args in new[] { new[] { "db", "ls" }, ["db", "login", "pg1"], ["proxy", "db", "pg1"], ["audit", "search", "--since", "1h"] })
        {
            var (code, output) = await cli.RunAsync(args);
            Assert.Equal(1, code);
            Assert.Equal("ferry: not logged in: run `ferry login --proxy HOST:3080 --user NAME`", output.Trim());
        }
    }

    [Fact]
    public async Task DbLs_ShowsOnlyTheDatabasesTheRolesAllow_WithLabelFilterAndJson()
    {
        using var cli = await LoggedInAsync();
        var text = await cli.RunCheckedAsync("db", "ls");
        Assert.Contains("pg1", text);
        Assert.Contains("env=dev", text);
        Assert.Contains("my1", text);
        Assert.DoesNotContain("pgprod", text); // denied by the developer role's deny rule on env=prod
        Assert.DoesNotContain("myprod", text);

        var json = await cli.RunCheckedAsync("db", "ls", "--format", "json");
        using var doc = JsonDocument.Parse(json);
        var pg1 = doc.RootElement.EnumerateArray().Single(d => d.GetProperty("name").GetString() == "pg1");
        Assert.Equal("postgres", pg1.GetProperty("protocol").GetString());
        Assert.Contains("alice", pg1.GetProperty("db_users").EnumerateArray().Select(e => e.GetString()));

        var none = await cli.RunCheckedAsync("db", "ls", "--labels", "env=staging", "--format", "json");
        Assert.Equal("[]", none.Trim());
    }

    [Fact]
    public async Task DbLogin_ThenPlainPsqlWithTheService_ReachesTheDatabase_AndLogoutRemovesOnlyItsSection()
    {
        using var cli = await LoggedInAsync();
        await File.WriteAllTextAsync(cli.PgServiceFile, "# mine\n[other]\nhost=db.example.com\n");
        var login = await cli.RunCheckedAsync("db", "login", "pg1", "--db-user", "alice", "--db-name", "app");
        Assert.Contains("psql \"service=ferry-pg1\"", login);
        var service = await File.ReadAllTextAsync(cli.PgServiceFile);
        Assert.StartsWith("# mine\n[other]\nhost=db.example.com\n\n[ferry-pg1]\n", service);
        Assert.Contains("sslmode=verify-full", service);

        var (code, output) = await cli.PsqlAsync("service=ferry-pg1", "SELECT current_user || '|' || current_database()");
        Assert.True(code == 0, output);
        Assert.Equal("alice|app", output.Trim());

        var env = await cli.RunCheckedAsync("db", "env", "pg1");
        Assert.Contains("export PGSSLMODE=verify-full", env);
        Assert.Contains($"export PGPORT={Cluster.ProxyPort}", env);

        var config = await cli.RunCheckedAsync("db", "config", "pg1", "--format", "json");
        using (var doc = JsonDocument.Parse(config))
        {
            var conninfo = doc.RootElement.GetProperty("connection_string").GetString()!;
            Assert.StartsWith($"jdbc:postgresql://127.0.0.1:{Cluster.ProxyPort}/app?user=alice&sslmode=verify-full", doc.RootElement.GetProperty("jdbc_url").GetString());
            var (viaConfig, viaConfigOutput) = await cli.PsqlAsync(conninfo, "SELECT 7");
            Assert.True(viaConfig == 0, viaConfigOutput);
            Assert.Equal("7", viaConfigOutput.Trim());
        }

        Assert.Contains("ferry-pg1", await cli.RunCheckedAsync("status"));
        await cli.RunCheckedAsync("db", "logout", "pg1");
        Assert.Equal("# mine\n[other]\nhost=db.example.com\n", await File.ReadAllTextAsync(cli.PgServiceFile));
        var (again, againOutput) = await cli.RunAsync(["db", "env", "pg1"]);
        Assert.Equal(1, again);
        Assert.Contains("run `ferry db login pg1`", againOutput);
    }

    [Fact]
    public async Task DbLogin_ForADeniedDatabase_NamesTheAllowedOnes()
    {
        using var cli = await LoggedInAsync();
        var (code, output) = await cli.RunAsync(["db", "login", "pgprod"]);
        Assert.Equal(1, code);
        Assert.Contains("no database \"pgprod\"", output);
        Assert.Contains("pg1", output);
    }

    [Fact]
    public async Task DbConnect_RunsPsqlWithEverythingSet_AndExplainsAMissingPsql()
    {
        using var cli = await LoggedInAsync();
        var (code, output) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice", "--db-name", "app", "--", "-X", "-A", "-t", "-c", "SELECT 'connected as ' || current_user"]);
        Assert.True(code == 0, output);
        Assert.Contains("connected as alice", output);

        var (missing, missingOutput) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice", "--db-name", "app"], path: "/nonexistent");
        Assert.Equal(1, missing);
        Assert.Contains("psql is not installed or not on PATH", missingOutput);
    }

    [Fact]
    public async Task ProxyDb_ServesPgbenchAndNpgsql_ThatPresentNoCertificate()
    {
        using var cli = await LoggedInAsync();
        var port = FerryCli.PortText(FreePort.Next());
        using var proxy = await cli.StartAsync(["proxy", "db", "pg1", "--port", port, "--db-user", "alice", "--db-name", "app"], "Press Ctrl+C");
        var secret = FerryCli.LocalProxySecret(proxy.Output);
        var conninfo = $"host=127.0.0.1 port={port} user=alice dbname=app sslmode=disable";
        Assert.Contains($"Connection string: host=127.0.0.1 port={port} user=alice password={secret} dbname=app sslmode=disable", proxy.Output);
        Assert.Contains($"PGPASSWORD={secret} psql \"{conninfo}\"", proxy.Output);
        var withSecret = new Dictionary<string, string> { ["PGPASSWORD"] = secret };

        var pgbench = Path.Combine(PostgresServer.BinDirectory, "pgbench");
        var init = await ProcessRunner.RunAsync(pgbench, ["-i", "-s", "1", "-q", "--no-vacuum", conninfo], TimeSpan.FromMinutes(3), environment: withSecret);
        Assert.True(init.ExitCode == 0, init.Output + proxy.Output);
        var run = await ProcessRunner.RunAsync(pgbench, ["-M", "extended", "-c", "2", "-t", "50", "-n", conninfo], TimeSpan.FromMinutes(3), environment: withSecret);
        Assert.True(run.ExitCode == 0, run.Output + proxy.Output);
        Assert.Contains("number of transactions actually processed: 100/100", run.Output);

        // psql's default sslmode=prefer asks for TLS first: the local proxy answers 'N' and goes on in plain text.
        var prefer = await cli.PsqlAsync($"host=127.0.0.1 port={port} user=alice dbname=app password={secret}", "SELECT 'prefer ok'");
        Assert.True(prefer.ExitCode == 0, prefer.Output);

        await using var conn = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=alice;Password={secret};Database=app;SSL Mode=Disable;Pooling=false;Timeout=30");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT current_user || '|' || (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())", conn);
        // The database still sees mutual TLS from the agent: only the loopback hop is plain.
        Assert.Equal("alice|true", (string)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task AuditSearchExportAndSession_FindTheQueriesOfASession()
    {
        using var developer = await LoggedInAsync();
        var marker = "client_audit_" + Guid.NewGuid().ToString("N")[..8];
        var (code, output) = await developer.RunAsync(["db", "connect", "pg1", "--db-user", "alice", "--db-name", "app", "--", "-X", "-A", "-t", "-c", $"SELECT '{marker}'", "-c", "SELECT 2"]);
        Assert.True(code == 0, output);

        var (denied, deniedOutput) = await developer.RunAsync(["audit", "search", "--since", "1h"]);
        Assert.Equal(1, denied);
        Assert.Contains("audit_search", deniedOutput);

        using var admin = await LoggedInAsync("admin");
        string json = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !json.Contains(marker, StringComparison.Ordinal))
        {
            json = await admin.RunCheckedAsync("audit", "search", "--since", "1h", "--contains", marker, "--type", "db.session.query", "--format", "json");
            await Task.Delay(250);
        }

        var line = json.Split('\n').First(l => l.Contains(marker, StringComparison.Ordinal));
        string sessionId;
        using (var doc = JsonDocument.Parse(line))
        {
            Assert.Equal("db.session.query", doc.RootElement.GetProperty("type").GetString());
            Assert.Equal("pg1", doc.RootElement.GetProperty("db_service").GetString());
            sessionId = doc.RootElement.GetProperty("session_id").GetString()!;
        }

        var table = await admin.RunCheckedAsync("audit", "search", "--since", "1h", "--contains", marker);
        Assert.StartsWith("TIME", table.TrimStart());
        Assert.Contains(marker, table);

        var export = await admin.RunCheckedAsync("audit", "export", "--since", "1h", "--db", "pg1");
        Assert.Contains(export.Split('\n').Where(l => l.StartsWith('{')), l => l.Contains(marker, StringComparison.Ordinal));
        foreach (var l in export.Split('\n').Where(l => l.StartsWith('{')))
        {
            using var _ = JsonDocument.Parse(l);
        }

        var session = await admin.RunCheckedAsync("audit", "session", sessionId);
        Assert.Contains("session " + sessionId, session);
        var markerAt = session.IndexOf(marker, StringComparison.Ordinal);
        var secondAt = session.IndexOf("SELECT 2", StringComparison.Ordinal);
        Assert.True(markerAt > 0 && secondAt > markerAt, session);
    }

    [Fact]
    public async Task EveryCommandsHelp_ShowsAnExample()
    {
        using var cli = new FerryCli(Cluster);
        string[][] commands =
        [
            [], ["login"], ["status"], ["logout"], ["db"], ["db", "ls"], ["db", "login"], ["db", "env"], ["db", "config"], ["db", "logout"], ["db", "connect"],
            ["proxy"], ["proxy", "db"], ["audit"], ["audit", "search"], ["audit", "export"], ["audit", "session"], ["completion"],
        ];
        foreach (var command in commands)
        {
            var output = await cli.RunCheckedAsync([.. command, "--help"]);
            Assert.True(output.Contains("Example:", StringComparison.Ordinal), $"ferry {string.Join(' ', command)} --help has no example:\n{output}");
        }
    }

    [Fact]
    public async Task BashCompletion_CompletesSubcommandsAndOptions()
    {
        using var cli = new FerryCli(Cluster);
        var script = await cli.RunCheckedAsync("completion", "bash");
        var file = Path.Combine(cli.Home, "ferry.bash");
        await File.WriteAllTextAsync(file, script);
        var dist = Path.GetDirectoryName(Binaries.Ferry)!;
        var (code, output) = await ProcessRunner.RunAsync("bash", ["-c", $$"""
            export PATH={{dist}}:$PATH
            source {{file}}
            COMP_LINE="ferry db l"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(ferry db l); COMP_CWORD=2
            _ferry_complete; echo "words: ${COMPREPLY[*]}"
            COMP_LINE="ferry login --pro"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(ferry login --pro); COMP_CWORD=2
            _ferry_complete; echo "options: ${COMPREPLY[*]}"
            """]);
        Assert.True(code == 0, output);
        Assert.Contains("words: login logout ls", output);
        Assert.Contains("options: --proxy", output);

        var zsh = await cli.RunCheckedAsync("completion", "zsh");
        Assert.Contains("compdef _ferry ferry", zsh);
    }

    [Fact]
    public async Task MySqlDbLogin_ThenPlainMysqlWithTheGroupSuffix_ReachesMariaDb_AndDbConnectRunsTheClient()
    {
        using var cli = await LoggedInAsync();
        await File.WriteAllTextAsync(cli.MyCnf, "[client]\nconnect-timeout=20\n");
        var login = await cli.RunCheckedAsync("db", "login", "my1", "--db-user", "alice", "--db-name", "app");
        Assert.Contains("mysql --defaults-group-suffix=_ferry-my1", login);
        var cnf = await File.ReadAllTextAsync(cli.MyCnf);
        Assert.StartsWith("[client]\nconnect-timeout=20\n\n[client_ferry-my1]\n", cnf);
        Assert.Contains($"port={Cluster.MySqlPort}", cnf);

        var (code, output) = await cli.MySqlClientAsync("--defaults-group-suffix=_ferry-my1", "--batch", "--skip-column-names", "-e", "SELECT CONCAT(CURRENT_USER(), '|', DATABASE())");
        Assert.True(code == 0, output);
        Assert.StartsWith("alice@", output.Trim());
        Assert.EndsWith("|app", output.Trim());

        var (connect, connectOutput) = await cli.RunAsync(["db", "connect", "my1", "--", "--batch", "--skip-column-names", "-e", "SELECT CONCAT('connected as ', CURRENT_USER())"]);
        Assert.True(connect == 0, connectOutput);
        Assert.Contains("connected as alice@", connectOutput);

        await cli.RunCheckedAsync("db", "logout", "my1");
        Assert.Equal("[client]\nconnect-timeout=20\n", await File.ReadAllTextAsync(cli.MyCnf));
    }

    [Fact]
    public async Task MySqlProxyDb_ServesMySqlConnectorAndTheCli_ThatPresentNoCertificate()
    {
        using var cli = await LoggedInAsync();
        var port = FreePort.Next();
        using var proxy = await cli.StartAsync(["proxy", "db", "my1", "--port", port.ToString(CultureInfo.InvariantCulture), "--db-user", "alice", "--db-name", "app"], "Press Ctrl+C");
        var secret = FerryCli.LocalProxySecret(proxy.Output);
        Assert.Contains($"Server=127.0.0.1;Port={port};User ID=alice;Password={secret};Database=app;SslMode=None", proxy.Output);

        await using (var conn = new MySqlConnector.MySqlConnection($"Server=127.0.0.1;Port={port};User ID=alice;Password={secret};Database=app;SslMode=None;Pooling=false;Connection Timeout=30"))
        {
            await conn.OpenAsync();
            await using var cmd = new MySqlConnector.MySqlCommand("SELECT CONCAT(CURRENT_USER(), '|', DATABASE())", conn);
            var value = (string)(await cmd.ExecuteScalarAsync())!;
            Assert.StartsWith("alice@", value);
            Assert.EndsWith("|app", value);
            await using var create = new MySqlConnector.MySqlCommand("CREATE TABLE IF NOT EXISTS client_proxy (id INT PRIMARY KEY, v MEDIUMTEXT); REPLACE INTO client_proxy VALUES (1, REPEAT('x', 100000)); SELECT LENGTH(v) FROM client_proxy WHERE id = 1", conn);
            Assert.Equal(100000L, Convert.ToInt64(await create.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }

        var (code, output) = await cli.MySqlClientAsync("--no-defaults", "--host=127.0.0.1", $"--port={port}", "--user=alice", $"--password={secret}", "--skip-ssl", "--batch", "--skip-column-names", "-e", "SELECT 'via local proxy'", "app");
        Assert.True(code == 0, output + proxy.Output);
        Assert.Contains("via local proxy", output);
    }

    [Fact]
    public async Task LoggingInAgain_ReissuesTheDatabaseLogins_ForTheNewKey()
    {
        using var cli = new FerryCli(Cluster);
        var user = await NewUserAsync();
        var (code, output) = await cli.LoginAsync(user);
        Assert.True(code == 0, output);
        await cli.RunCheckedAsync("db", "login", "pg1", "--db-user", "alice", "--db-name", "app");
        var keyBefore = await File.ReadAllTextAsync(Path.Combine(cli.FerryHome, "key.pem"));
        var certBefore = await File.ReadAllTextAsync(Path.Combine(cli.FerryHome, "db", "pg1", "cert.pem"));

        // The same TOTP step cannot be used twice: log in again with the next step's code (one step of skew is accepted).
        (code, output) = await cli.LoginAtAsync(user, DateTimeOffset.UtcNow.AddSeconds(30));
        Assert.True(code == 0, output);
        Assert.NotEqual(keyBefore, await File.ReadAllTextAsync(Path.Combine(cli.FerryHome, "key.pem")));
        Assert.NotEqual(certBefore, await File.ReadAllTextAsync(Path.Combine(cli.FerryHome, "db", "pg1", "cert.pem")));
        var (psql, psqlOutput) = await cli.PsqlAsync("service=ferry-pg1", "SELECT 'still works'");
        Assert.True(psql == 0, psqlOutput);
        Assert.Contains("still works", psqlOutput);
    }
}
