using System.Text.Json;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>What `ferry db login/env/config/connect` write must work with the clients people use, as they are.</summary>
public sealed partial class ClientEndToEndTests
{
    private const string JavaProbe = """
        import java.sql.*;

        public class Probe {
            public static void main(String[] args) throws Exception {
                try (Connection c = DriverManager.getConnection(args[0]);
                     Statement s = c.createStatement();
                     ResultSet r = s.executeQuery(args[1])) {
                    r.next();
                    System.out.println("result: " + r.getString(1));
                }
            }
        }
        """;

    [Fact]
    public async Task DbConfig_JdbcUrls_WorkWithPgjdbcAndMariaDbConnectorJ_FromDebiansPackages()
    {
        var java = NativeFinder("java");
        Assert.True(java is not null && File.Exists("/usr/share/java/postgresql.jar") && File.Exists("/usr/share/java/mariadb-java-client.jar"),
            "Java and the JDBC drivers are missing: run `. scripts/lib/common.sh && ensure_test_dependencies` (default-jdk-headless, libpostgresql-jdbc-java, libmariadb-java)");
        using var cli = await LoggedInAsync();
        var probe = Path.Combine(cli.Home, "Probe.java");
        await File.WriteAllTextAsync(probe, JavaProbe);

        await cli.RunCheckedAsync("db", "login", "pg1", "--db-user", "alice", "--db-name", "app");
        var pgUrl = JdbcUrl(await cli.RunCheckedAsync("db", "config", "pg1", "--format", "json"));
        Assert.EndsWith("/db/pg1/key.pk8", pgUrl);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cli.FerryHome, "db", "pg1", "key.pk8")));
        var pg = await ProcessRunner.RunAsync(java!, ["-cp", "/usr/share/java/postgresql.jar", probe, pgUrl, "SELECT current_user || '|' || current_database()"], TimeSpan.FromMinutes(3));
        Assert.True(pg.ExitCode == 0, pgUrl + "\n" + pg.Output);
        Assert.Contains("result: alice|app", pg.Output);

        await cli.RunCheckedAsync("db", "login", "my1", "--db-user", "alice", "--db-name", "app");
        var myUrl = JdbcUrl(await cli.RunCheckedAsync("db", "config", "my1", "--format", "json"));
        Assert.StartsWith("jdbc:mariadb://", myUrl);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cli.FerryHome, "db", "my1", "keystore.p12")));
        var my = await ProcessRunner.RunAsync(java!, ["-cp", "/usr/share/java/mariadb-java-client.jar", probe, myUrl, "SELECT CONCAT(CURRENT_USER(), '|', DATABASE())"], TimeSpan.FromMinutes(3));
        Assert.True(my.ExitCode == 0, myUrl + "\n" + my.Output);
        Assert.Contains("result: alice@", my.Output);
        Assert.Contains("|app", my.Output);

        static string JdbcUrl(string json)
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty("jdbc_url").GetString()!;
        }
    }

    [Fact]
    public async Task DbEnv_ForMySql_SetsTheTlsOptionsThroughMysqlHome_AndLeavesUserAlone()
    {
        using var cli = await LoggedInAsync();
        await cli.RunCheckedAsync("db", "login", "my1", "--db-user", "alice", "--db-name", "app");
        var env = await cli.RunCheckedAsync("db", "env", "my1");
        Assert.DoesNotContain("export USER=", env);
        Assert.Contains($"export MYSQL_HOME={Path.Combine(cli.FerryHome, "db", "my1")}", env);

        var client = MariaDbServer.FindBinary("mariadb", "mysql")!;
        var environment = cli.Environment();
        environment["USER"] = "shell-user";
        var (code, output) = await ProcessRunner.RunAsync("bash", ["-c", $$"""
            eval "$({{Binaries.Ferry}} db env my1)" || exit 9
            echo "USER=$USER"
            {{client}} --batch --skip-column-names -e "SELECT CONCAT(CURRENT_USER(), '|', DATABASE(), '|', (SELECT VARIABLE_VALUE <> '' FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'))"
            """], TimeSpan.FromMinutes(2), environment: environment);
        Assert.True(code == 0, output);
        Assert.Contains("USER=shell-user", output);
        Assert.Matches(@"alice@\S*\|app\|1", output);
    }

    [Fact]
    public async Task MySqlOptionGroup_IsReadByMysqladminMysqlshowAndMysqlimport_WithoutUnknownVariables()
    {
        using var cli = await LoggedInAsync();
        await cli.RunCheckedAsync("db", "login", "my1", "--db-user", "alice", "--db-name", "app");
        var cnf = await File.ReadAllTextAsync(cli.MyCnf);
        Assert.Contains("[mysql_ferry-my1]\ndatabase=app\n", cnf);
        var environment = cli.Environment();

        var admin = await ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb-admin", "mysqladmin")!, ["--defaults-group-suffix=_ferry-my1", "ping"], TimeSpan.FromMinutes(2), environment: environment);
        Assert.True(admin.ExitCode == 0, admin.Output);
        Assert.Contains("is alive", admin.Output);

        var show = await ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb-show", "mysqlshow")!, ["--defaults-group-suffix=_ferry-my1", "app"], TimeSpan.FromMinutes(2), environment: environment);
        Assert.True(show.ExitCode == 0, show.Output);
        Assert.Contains("Database: app", show.Output);

        // mysqlimport reads the group and reaches the server (whatever Ferry then says about LOAD DATA LOCAL).
        var data = Path.Combine(cli.Home, "client_import.txt");
        await File.WriteAllTextAsync(data, "1\tx\n");
        var import = await ProcessRunner.RunAsync(MariaDbServer.FindBinary("mariadb-import", "mysqlimport")!, ["--defaults-group-suffix=_ferry-my1", "--local", "app", data], TimeSpan.FromMinutes(2), environment: environment);
        Assert.DoesNotContain("unknown variable", import.Output);
        Assert.DoesNotContain("unknown option", import.Output);
        Assert.Contains("client_import", import.Output);

        // The mysql client itself still gets the database from its own group.
        var (code, output) = await cli.MySqlClientAsync("--defaults-group-suffix=_ferry-my1", "--batch", "--skip-column-names", "-e", "SELECT DATABASE()");
        Assert.True(code == 0, output);
        Assert.Equal("app", output.Trim());
        await cli.RunCheckedAsync("db", "logout", "my1");
        Assert.DoesNotContain("ferry-my1", await File.ReadAllTextAsync(cli.MyCnf));
    }

    [Fact]
    public async Task DbConnect_WithADbNameTheDatabaseRefuses_LeavesTheSavedLoginAndServiceFileAsTheyWere()
    {
        using var cli = await LoggedInAsync(traits: "db_users=alice;db_names=app,nosuchdb");
        await cli.RunCheckedAsync("db", "login", "pg1", "--db-user", "alice", "--db-name", "app");
        var service = await File.ReadAllTextAsync(cli.PgServiceFile);
        var certificate = await File.ReadAllTextAsync(Path.Combine(cli.FerryHome, "db", "pg1", "cert.pem"));

        var (code, output) = await cli.RunAsync(["db", "connect", "pg1", "--db-user", "alice", "--db-name", "nosuchdb", "--", "-X", "-w", "-c", "SELECT 1"]);
        Assert.NotEqual(0, code);
        Assert.Contains("nosuchdb", output);

        Assert.Equal(service, await File.ReadAllTextAsync(cli.PgServiceFile));
        Assert.Equal(certificate, await File.ReadAllTextAsync(Path.Combine(cli.FerryHome, "db", "pg1", "cert.pem")));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(cli.FerryHome, "db", "pg1")), f => f.Contains("pending", StringComparison.Ordinal));
        var (psql, psqlOutput) = await cli.PsqlAsync("service=ferry-pg1", "SELECT current_database()");
        Assert.True(psql == 0, psqlOutput);
        Assert.Equal("app", psqlOutput.Trim());
    }

    private static string? NativeFinder(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
