using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// <c>ferryd</c> (the real AOT binary) with its state in PostgreSQL (<c>auth.backend.type: postgres</c>): a SQLite
/// cluster is migrated with <c>ferryd admin backend migrate</c>, users and locks made with <c>ferryd admin --config</c>
/// live in PostgreSQL, psql reaches a database through Ferry, the state survives a <c>kill -9</c> of ferryd, and a lock
/// written to the backend closes a live session.
/// </summary>
public sealed class PostgresBackendEndToEndTests
{
    [Fact]
    public async Task Ferryd_OnAPostgresBackend_LogsInRelaysSurvivesKill9AndFollowsLocks()
    {
        await using var cluster = await FerryCluster.StartAsync(authOptions: MigrateToPostgresBackendAsync);

        var alice = await cluster.AddUserAsync("alice", "developer", "db_users=alice;db_names=app");
        var creds = await cluster.LoginAsync(alice, "pg1", "alice", "app");
        var (code, output) = await cluster.PsqlAsync(creds, "SELECT 40 + 2");
        Assert.True(code == 0, output);
        Assert.Contains("42", output, StringComparison.Ordinal);

        // The state is in PostgreSQL, not in the data directory's SQLite file.
        var rows = await cluster.Postgres.PsqlAsync("SELECT count(*) FROM ferry_kv WHERE key LIKE '/users/alice%'", "ferry_backend");
        Assert.NotEqual("0", rows.Trim());
        cluster.AdminConfig = null;
        Assert.DoesNotContain("alice", await cluster.AdminAsync("users", "ls"), StringComparison.Ordinal);
        cluster.AdminConfig = Path.Combine(cluster.Root, "backend.yaml");

        // kill -9 and restart: everything is still there.
        cluster.KillFerryd();
        await cluster.RestartFerrydAsync();
        // The used one-time code is remembered in the backend too (replay protection survives the restart): wait for
        // the next 30-second step before logging in again.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await Task.Delay(TimeSpan.FromSeconds(30 - (now % 30) + 1));
        var again = await cluster.LoginAsync(alice, "pg1", "alice", "app");
        await cluster.WaitReachableAsync(again, TimeSpan.FromSeconds(60));

        // A lock written into the backend by the admin command ends a live session.
        using var session = new Npgsql.NpgsqlConnection(cluster.NpgsqlConnectionString(again));
        await session.OpenAsync();
        await cluster.AdminAsync("locks", "add", "--user", "alice", "--message", "backend lock test");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        Exception? ended = null;
        while (ended is null && DateTime.UtcNow < deadline)
        {
            try
            {
                await using var cmd = new Npgsql.NpgsqlCommand("SELECT 1", session);
                await cmd.ExecuteScalarAsync();
                await Task.Delay(200);
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
            {
                ended = e;
            }
        }
        Assert.NotNull(ended);
        var (refused, refusal) = await cluster.PsqlAsync(again, "SELECT 1");
        Assert.NotEqual(0, refused);
        Assert.Contains("lock", refusal, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// One-shot admin commands on the PostgreSQL backend with a single socket event thread (the default on 2 CPUs)
    /// each end promptly. Before <c>PgCommand</c>, closing the backend at exit cancelled its LISTEN while it ran;
    /// Npgsql then sent PostgreSQL a cancel request with blocking I/O on that one event thread, which had to complete
    /// the I/O itself, and about half the commands hung for a minute.
    /// </summary>
    [Fact]
    public async Task AdminCommands_OnAPostgresBackend_EndWithOneSocketEventThread()
    {
        await using var cluster = await FerryCluster.StartAsync(authOptions: MigrateToPostgresBackendAsync);
        var oneThread = new Dictionary<string, string> { ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1" };
        for (var i = 0; i < 8; i++)
        {
            var (code, output) = await ProcessRunner.RunAsync(
                Binaries.Ferryd, ["admin", "--config", cluster.AdminConfig!, "users", "add", $"user{i}", "--data-dir", cluster.DataDir],
                // Longer than PgCommand's 30 s bound on one statement, shorter than the minute-long hang: a statement
                // that waits that long fails the command with its own message instead of being mistaken for the hang.
                TimeSpan.FromSeconds(45), environment: oneThread);
            Assert.True(code == 0, $"ferryd admin users add user{i} ({code}): {output}");
        }

        var rows = await cluster.Postgres.PsqlAsync("SELECT count(*) FROM ferry_kv WHERE key LIKE '/users/user%'", "ferry_backend");
        Assert.NotEqual("0", rows.Trim());
    }

    /// <summary>
    /// For <see cref="FerryCluster.StartAsync"/>'s auth options: creates database <c>ferry_backend</c>, migrates the
    /// cluster's SQLite state into it with <c>ferryd admin backend migrate</c> (a fresh CA key-encryption key, mode 0600)
    /// and returns the <c>auth:</c> lines that put ferryd on it; <c>ferryd admin</c> calls go through it from then on.
    /// </summary>
    internal static async Task<string> MigrateToPostgresBackendAsync(FerryCluster c)
    {
        await c.Postgres.PsqlAsync("CREATE DATABASE ferry_backend");
        var conn = BackendConnString(c);
        var backendConfig = Path.Combine(c.Root, "backend.yaml");
        var keyFile = Path.Combine(c.Root, "ca-encryption.key");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(backendConfig, $"cluster_name: e2e\ndata_dir: {c.DataDir}\nauth:\n  backend: {{ type: postgres, conn_string: \"{conn}\" }}\n  ca_key_encryption: {{ key_file: {keyFile} }}\n");
        var migrated = await c.AdminAsync("--config", backendConfig, "backend", "migrate", "--from", "sqlite");
        Assert.Contains("copied", migrated, StringComparison.Ordinal);
        c.AdminConfig = backendConfig;
        return $"backend: {{ type: postgres, conn_string: \"{conn}\" }}\nca_key_encryption: {{ key_file: {keyFile} }}";
    }

    /// <summary>The Npgsql connection string of the backend database <see cref="MigrateToPostgresBackendAsync"/> made.</summary>
    internal static string BackendConnString(FerryCluster c) =>
        $"Host={c.Postgres.SocketDirectory};Port={c.Postgres.Port};Username=postgres;Database=ferry_backend";
}
