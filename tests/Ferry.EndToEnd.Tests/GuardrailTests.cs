using System.Globalization;
using System.Text.Json;
using Ferry.Testing;
using MySqlConnector;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Issue 26, the limits: every statement's result is audited (db.session.result), max_query_rows / max_query_bytes stop a
/// statement at the server and the session carries on, statement_timeout and read_only are pinned at session start, and
/// idle_timeout closes an idle session. Real psql, mariadb, Npgsql and MySqlConnector through the real binaries.
/// </summary>
public sealed class GuardrailTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Applies a role named <paramref name="name"/> with <paramref name="options"/> on the dev databases.</summary>
    private async Task<string> RoleAsync(string options)
    {
        var name = Unique("guard-");
        var path = Path.Combine(Cluster.Root, name + ".yaml");
        await File.WriteAllTextAsync(path, $"""
            kind: role
            name: {name}
            options:
            {options}
            allow:
              db_labels: {"{"} env: [dev, staging] {"}"}
              db_names: [app]
              db_users: ["{"{{"}internal.db_users{"}}"}"]
            """);
        await Cluster.AdminAsync("roles", "apply", "-f", path);
        return name;
    }

    private async Task<(FerryCluster.UserSecrets User, FerryCluster.Credentials Creds)> UserAsync(string role, string protocol = "postgres")
    {
        var user = await Cluster.AddUserAsync(Unique("g"), "developer," + role, "db_users=alice");
        var creds = protocol == "postgres"
            ? await Cluster.LoginAsync(user, "pg1", "alice", "app")
            : await Cluster.LoginAsync(user, "my1", "alice", "app", protocol: "mysql");
        return (user, creds);
    }

    private async Task<List<JsonElement>> EventsAsync(string user, Func<JsonElement, bool> match, int atLeast)
    {
        var admin = await Cluster.AddUserAsync(Unique("admin"), "admin");
        var adminCreds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(adminCreds.Certificate);
        List<JsonElement> found = [];
        for (var i = 0; i < 120; i++)
        {
            var body = await api.GetStringAsync($"/v1/audit/search?user={Uri.EscapeDataString(user)}&since=1h&limit=1000");
            using var doc = JsonDocument.Parse(body);
            found = [.. doc.RootElement.EnumerateArray().Where(match).Select(e => e.Clone())];
            if (found.Count >= atLeast)
            {
                break;
            }
            await Task.Delay(250);
        }
        return found;
    }

    private static bool Is(JsonElement e, string type) => e.GetProperty("type").GetString() == type;

    private static string? Detail(JsonElement e, string key) =>
        e.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty(key, out var v) ? v.GetString() : null;

    private static string Code(JsonElement e) => e.GetProperty("code").GetString()!;

    [Fact]
    public async Task Postgres_ResultOverMaxQueryRows_IsCancelledAtTheServer_AndTheSessionCarriesOn()
    {
        var role = await RoleAsync("  max_query_rows: 1000");
        var (user, creds) = await UserAsync(role);
        var table = Unique("rows_log_");
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await conn.OpenAsync();
        // Each row the server produces leaves a trace in the statement's own transaction, and takes a moment: if the
        // statement runs to its end the 5,000 traces commit, if it is cancelled they roll back.
        await using (var setup = new NpgsqlCommand($"""
            CREATE TABLE {table} (g int);
            CREATE FUNCTION {table}_row(g int) RETURNS int LANGUAGE plpgsql AS $f$
            BEGIN INSERT INTO {table} VALUES (g); PERFORM pg_sleep(0.002); RETURN g; END $f$;
            """, conn))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var rows = 0;
        var ex = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var cmd = new NpgsqlCommand($"SELECT {table}_row(g) FROM generate_series(1, 5000) g", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows++;
            }
        });
        Assert.Equal("54000", ex.SqlState);
        Assert.Contains("max_query_rows", ex.MessageText);
        Assert.Equal(1000, rows);

        // The same session goes on; the statement was cancelled at the server, so none of its traces committed.
        await using (var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", conn))
        {
            Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
        }

        var stopped = await EventsAsync(user.User, e => Is(e, "db.session.result") && Code(e) == "TDB04W", 1);
        var result = Assert.Single(stopped);
        Assert.Equal("max_query_rows", Detail(result, "limit"));
        Assert.Equal("54000", Detail(result, "code"));
        Assert.Equal(1000, result.GetProperty("rows").GetInt64());
        // Npgsql runs it as Parse/Bind/Execute: the result names the Execute's event.
        var executes = await EventsAsync(user.User, e => Is(e, "db.session.execute"), 3);
        Assert.Contains(executes, x => x.GetProperty("id").GetString() == Detail(result, "statement"));
    }

    [Fact]
    public async Task Postgres_ResultOverMaxQueryBytes_IsStopped_WithPsql()
    {
        var role = await RoleAsync("  max_query_bytes: 64KB");
        var (user, creds) = await UserAsync(role);

        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT repeat('x', 1000) FROM generate_series(1, 1000)");
        Assert.NotEqual(0, code);
        Assert.Contains("max_query_bytes", output);
        Assert.Contains("64KB", output);

        // Under the limit, the same role returns whole results.
        (code, output) = await Cluster.PsqlAsync(creds, "SELECT count(*) FROM (SELECT repeat('x', 1000) FROM generate_series(1, 10)) s");
        Assert.True(code == 0, output);
        Assert.Equal("10", output.Trim());

        var stopped = await EventsAsync(user.User, e => Is(e, "db.session.result") && Code(e) == "TDB04W", 1);
        Assert.Equal("max_query_bytes", Detail(Assert.Single(stopped), "limit"));
        Assert.True(stopped[0].GetProperty("bytes_out").GetInt64() <= 64 * 1024);
    }

    [Fact]
    public async Task Postgres_EveryStatement_IsFollowedByItsResult_RowsBytesTagAndError()
    {
        var (user, creds) = await UserAsync(await RoleAsync("  audit_search: false"));
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand("SELECT g FROM generate_series(1, 5) g", conn))
        {
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
            }
        }
        await using (var failing = new NpgsqlCommand("SELECT 1 / 0", conn))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => failing.ExecuteScalarAsync());
            Assert.Equal("22012", ex.SqlState);
        }

        var results = await EventsAsync(user.User, e => Is(e, "db.session.result"), 2);
        var ok = Assert.Single(results, e => Code(e) == "TDB04I" && Detail(e, "tag") == "SELECT 5");
        Assert.Equal(5, ok.GetProperty("rows").GetInt64());
        Assert.True(ok.GetProperty("bytes_out").GetInt64() > 0);
        var failed = Assert.Single(results, e => Code(e) == "TDB04W");
        Assert.Equal("22012", Detail(failed, "code"));
        Assert.StartsWith("22012 ", failed.GetProperty("error").GetString());
        // Each result names its statement's event (an Execute, with Npgsql's extended protocol).
        var executes = await EventsAsync(user.User, e => Is(e, "db.session.execute"), 2);
        Assert.Contains(executes, x => x.GetProperty("id").GetString() == Detail(ok, "statement"));
        Assert.Contains(executes, x => x.GetProperty("id").GetString() == Detail(failed, "statement"));
    }

    [Fact]
    public async Task Postgres_StatementTimeout_CancelsPgSleep_AndCannotBeUndone()
    {
        var role = await RoleAsync("  statement_timeout: 2s");
        var (user, creds) = await UserAsync(role);

        var (code, output) = await Cluster.PsqlAsync(creds, "SELECT pg_sleep(60)");
        Assert.NotEqual(0, code);
        Assert.Contains("statement timeout", output);

        (code, output) = await Cluster.PsqlAsync(creds, "SHOW statement_timeout");
        Assert.True(code == 0, output);
        Assert.Equal("2s", output.Trim());

        foreach (var undo in new[] { "SET statement_timeout = 0", "RESET statement_timeout", "SELECT set_config('statement_timeout', '0', false)", "SET LOCAL \"statement_timeout\" TO 0" })
        {
            (code, output) = await Cluster.PsqlAsync(creds, undo);
            Assert.NotEqual(0, code);
            Assert.Contains("42501", await Sqlstate(creds, undo));
            Assert.Contains("pin", output);
        }

        // Through Npgsql, the refusal is an error like any other and the session carries on with the pinned value.
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await conn.OpenAsync();
        await using (var set = new NpgsqlCommand("SET statement_timeout = 0", conn))
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => set.ExecuteNonQueryAsync());
            Assert.Equal("42501", ex.SqlState);
        }
        await using (var show = new NpgsqlCommand("SHOW statement_timeout", conn))
        {
            Assert.Equal("2s", (string)(await show.ExecuteScalarAsync())!);
        }

        var timeouts = await EventsAsync(user.User, e => Is(e, "db.session.result") && Detail(e, "limit") == "statement_timeout", 1);
        Assert.Equal("57014", Detail(timeouts[0], "code"));
    }

    /// <summary>The SQLSTATE psql reports for <paramref name="sql"/> (VERBOSITY verbose prints it).</summary>
    private async Task<string> Sqlstate(FerryCluster.Credentials creds, string sql)
    {
        var (_, output) = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [Cluster.ConnectionString(creds), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-c", sql], TimeSpan.FromMinutes(2));
        return output;
    }

    [Fact]
    public async Task Postgres_ReadOnly_WritesAreRefusedByTheServer_AndTheSettingCannotBeUndone()
    {
        var role = await RoleAsync("  read_only: true");
        var (_, creds) = await UserAsync(role);
        var table = Unique("ro_");

        var (code, output) = await Cluster.PsqlAsync(creds, $"CREATE TABLE {table} (g int)");
        Assert.NotEqual(0, code);
        Assert.Contains("read-only transaction", output);

        foreach (var undo in new[] { "SET default_transaction_read_only = off", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "BEGIN READ WRITE", "START TRANSACTION READ WRITE" })
        {
            (code, output) = await Cluster.PsqlAsync(creds, undo);
            Assert.NotEqual(0, code);
            Assert.Contains("pin", output);
        }

        // A client's start-up options cannot undo it either.
        (code, output) = await ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"),
            [Cluster.ConnectionString(creds) + " options='-c default_transaction_read_only=off'", "-X", "-A", "-t", "-c", "SELECT 1"], TimeSpan.FromMinutes(2));
        Assert.NotEqual(0, code);
        Assert.Contains("default_transaction_read_only", output);

        (code, output) = await Cluster.PsqlAsync(creds, "SELECT 41 + 1");
        Assert.True(code == 0, output);
        Assert.Equal("42", output.Trim());
    }

    [Fact]
    public async Task Postgres_IdleTimeout_ClosesAnIdleSession_WithAMessage()
    {
        var role = await RoleAsync("  idle_timeout: 2s");
        var (user, creds) = await UserAsync(role);
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds));
        await conn.OpenAsync();

        var ends = await EventsAsync(user.User, e => Is(e, "db.session.end"), 1);
        Assert.Equal("idle_timeout", Assert.Single(ends).GetProperty("end_reason").GetString());
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => cmd.ExecuteScalarAsync());
        Assert.Contains("idle_timeout", ex.ToString());
    }

    [Fact]
    public async Task MySql_ResultOverMaxQueryRows_IsStopped_AndTheSessionCarriesOn()
    {
        var role = await RoleAsync("  max_query_rows: 1000");
        var (user, creds) = await UserAsync(role, "mysql");
        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();

        var rows = 0;
        var ex = await Assert.ThrowsAsync<MySqlException>(async () =>
        {
            await using var cmd = new MySqlCommand("SELECT seq, SLEEP(0.001) FROM seq_1_to_5000", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows++;
            }
        });
        Assert.Equal(1317, ex.Number);
        Assert.Contains("max_query_rows", ex.Message);
        Assert.Equal(1000, rows);

        await using (var again = new MySqlCommand("SELECT 41 + 1", conn))
        {
            Assert.Equal(42L, Convert.ToInt64(await again.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }

        var stopped = await EventsAsync(user.User, e => Is(e, "db.session.result") && Code(e) == "TDB04W", 1);
        Assert.Equal("max_query_rows", Detail(Assert.Single(stopped), "limit"));
        var ok = await EventsAsync(user.User, e => Is(e, "db.session.result") && Code(e) == "TDB04I", 1);
        Assert.Contains(ok, e => e.GetProperty("rows").GetInt64() == 1);
    }

    /// <summary>
    /// A server-side cursor (COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY, then COM_STMT_FETCH 100 rows at a time) is
    /// held to max_query_rows over all its fetches, not per fetch; each fetch gets its result event. The client is
    /// MariaDB's own C library (libmariadb), the only client here that fetches through a cursor.
    /// </summary>
    [Fact]
    public async Task MySql_CursorFetches_AreCountedAcrossFetches_AndStoppedAtMaxQueryRows()
    {
        var role = await RoleAsync("  max_query_rows: 1000");
        var (user, creds) = await UserAsync(role, "mysql");
        var dir = Path.Combine(Cluster.Root, Unique("cursor-"));
        Directory.CreateDirectory(dir);
        var source = Path.Combine(dir, "cursor.c");
        await File.WriteAllTextAsync(source, CursorClientSource);
        var binary = Path.Combine(dir, "cursor");
        var (cc, ccOut) = await ProcessRunner.RunAsync("cc", ["-O1", "-o", binary, source, "-I/usr/include/mariadb", "-lmariadb"], TimeSpan.FromMinutes(2));
        Assert.True(cc == 0, ccOut);

        var (code, output) = await ProcessRunner.RunAsync(binary,
            ["127.0.0.1", Cluster.MySqlPort.ToString(CultureInfo.InvariantCulture), "alice", "app", Cluster.HostCaPath, creds.CertPath, creds.KeyPath],
            TimeSpan.FromMinutes(2));
        Assert.True(code == 0, output);
        // Fetches of 100 rows: the 11th fetch would pass 1,000 rows in all and is stopped; the session carries on.
        Assert.Contains("rows 1000", output);
        Assert.Contains("fetch error 1317", output);
        Assert.Contains("max_query_rows", output);
        Assert.Contains("after 42", output);

        var results = await EventsAsync(user.User, e => Is(e, "db.session.result"), 11);
        var stopped = Assert.Single(results, e => Code(e) == "TDB04W");
        Assert.Equal("max_query_rows", Detail(stopped, "limit"));
        var fetches = await EventsAsync(user.User, e => Is(e, "db.session.mysql.statements.fetch"), 11);
        var fetchIds = fetches.Select(e => e.GetProperty("id").GetString()).ToHashSet();
        var fetchResults = results.Where(e => fetchIds.Contains(Detail(e, "statement"))).ToList();
        Assert.True(fetchResults.Count >= 11, string.Join("\n", results));
        Assert.Equal(1000, fetchResults.Sum(e => e.GetProperty("rows").GetInt64()));
    }

    private const string CursorClientSource = """
        #include <mysql.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>

        int main(int argc, char **argv) {
            MYSQL *m = mysql_init(NULL);
            unsigned int port = (unsigned int)atoi(argv[2]);
            my_bool verify = 1;
            mysql_options(m, MYSQL_OPT_SSL_CA, argv[5]);
            mysql_options(m, MYSQL_OPT_SSL_CERT, argv[6]);
            mysql_options(m, MYSQL_OPT_SSL_KEY, argv[7]);
            mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
            if (!mysql_real_connect(m, argv[1], argv[3], "", argv[4], port, NULL, 0)) {
                printf("connect error %u %s\n", mysql_errno(m), mysql_error(m));
                return 2;
            }
            MYSQL_STMT *s = mysql_stmt_init(m);
            const char *sql = "SELECT seq FROM seq_1_to_5000";
            if (mysql_stmt_prepare(s, sql, strlen(sql))) { printf("prepare error %s\n", mysql_stmt_error(s)); return 3; }
            unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 100;
            mysql_stmt_attr_set(s, STMT_ATTR_CURSOR_TYPE, &cursor);
            mysql_stmt_attr_set(s, STMT_ATTR_PREFETCH_ROWS, &prefetch);
            if (mysql_stmt_execute(s)) { printf("execute error %s\n", mysql_stmt_error(s)); return 4; }
            long long value = 0;
            MYSQL_BIND out;
            memset(&out, 0, sizeof out);
            out.buffer_type = MYSQL_TYPE_LONGLONG;
            out.buffer = &value;
            mysql_stmt_bind_result(s, &out);
            long rows = 0;
            int rc;
            while ((rc = mysql_stmt_fetch(s)) == 0) rows++;
            printf("rows %ld\n", rows);
            if (rc == 1) printf("fetch error %u %s\n", mysql_stmt_errno(s), mysql_stmt_error(s));
            mysql_stmt_close(s);
            if (mysql_query(m, "SELECT 41 + 1")) { printf("query error %s\n", mysql_error(m)); return 5; }
            MYSQL_RES *r = mysql_store_result(m);
            MYSQL_ROW row = mysql_fetch_row(r);
            printf("after %s\n", row[0]);
            mysql_free_result(r);
            mysql_close(m);
            return 0;
        }
        """;

    [Fact]
    public async Task MariaDb_StatementTimeoutAndReadOnly_ArePinned()
    {
        var role = await RoleAsync("  statement_timeout: 2s\n  read_only: true");
        var (user, creds) = await UserAsync(role, "mysql");

        var (code, output) = await Cluster.MySqlAsync(creds, "SELECT @@max_statement_time, @@tx_read_only");
        Assert.True(code == 0, output);
        Assert.Equal("2.000000\t1", output.Trim());

        (code, output) = await Cluster.MySqlAsync(creds, "SELECT SLEEP(60)");
        Assert.True(code != 0 || output.Trim() == "1", output); // interrupted: an error, or SLEEP's own "1"

        (code, output) = await Cluster.MySqlAsync(creds, $"CREATE TABLE {Unique("ro_")} (g int)");
        Assert.NotEqual(0, code);
        Assert.Contains("READ ONLY", output, StringComparison.OrdinalIgnoreCase);

        foreach (var undo in new[] { "SET SESSION max_statement_time = 0", "SET STATEMENT max_statement_time = 0 FOR SELECT 1", "SET SESSION TRANSACTION READ WRITE", "SET @@tx_read_only = 0" })
        {
            (code, output) = await Cluster.MySqlAsync(creds, undo);
            Assert.NotEqual(0, code);
            Assert.Contains("1227", output);
            Assert.Contains("pin", output);
        }

        await using var conn = new MySqlConnection(Cluster.MySqlConnectorConnectionString(creds));
        await conn.OpenAsync();
        await using (var set = new MySqlCommand("SET SESSION max_statement_time = 0", conn))
        {
            var ex = await Assert.ThrowsAsync<MySqlException>(() => set.ExecuteNonQueryAsync());
            Assert.Equal(1227, ex.Number);
        }
        await using (var read = new MySqlCommand("SELECT @@max_statement_time", conn))
        {
            Assert.Equal(2.0, Convert.ToDouble(await read.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }
        Assert.NotEmpty(await EventsAsync(user.User, e => Is(e, "db.session.query") && Detail(e, "reason") == "pinned_setting", 4));
    }
}
