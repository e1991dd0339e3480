using Ferry.Auth.Backend;
using Ferry.Config;
using Ferry.Contracts;

namespace Ferry.Auth.Tests;

/// <summary>
/// The auth service on the PostgreSQL backend: <c>ferryd admin backend migrate</c> copies a SQLite cluster, and two
/// auth services sharing one backend see each other's users and locks.
/// </summary>
public sealed class PostgresBackendClusterTests(PostgresBackendServer pg) : IClassFixture<PostgresBackendServer>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Role = "kind: role\nname: access\nallow: { db_labels: { env: [dev] }, db_users: [app] }\n";

    private async Task ApplyRoleAsync(params string[] configArgs)
    {
        var file = Path.Combine(_dir.Path, "access.yaml");
        await File.WriteAllTextAsync(file, Role);
        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, [.. configArgs, "roles", "apply", "-f", file]);
        Assert.True(code == 0, error);
    }

    private string KeyFile()
    {
        var path = Path.Combine(_dir.Path, "ca-encryption.key");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return path;
    }

    private async Task<string> ConfigAsync(string connString)
    {
        var path = Path.Combine(_dir.Path, "ferry.yaml");
        await File.WriteAllTextAsync(path, $"""
            cluster_name: test
            data_dir: {_dir.Path}
            auth:
              backend:
                type: postgres
                conn_string: "{connString}"
              ca_key_encryption:
                key_file: {KeyFile()}
            """);
        return path;
    }

    [Fact]
    public async Task Migrate_CopiesTheSqliteClusterAndRefusesABackendThatHoldsItems()
    {
        await ApplyRoleAsync();
        await AdminRunner.AddUserAsync(_dir.Path, "alice", "access");
        var (lockCode, _, lockErr) = await AdminRunner.RunAsync(_dir.Path, "locks", "add", "--user", "mallory", "--ttl", "1h");
        Assert.True(lockCode == 0, lockErr);
        var conn = await pg.NewDatabaseAsync();
        var config = await ConfigAsync(conn);

        var (code, output, error) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "backend", "migrate", "--from", "sqlite");
        Assert.True(code == 0, error);
        Assert.Contains("1 with a lease", output, StringComparison.Ordinal);
        Assert.Contains("copied the CA keys (3 keys", output, StringComparison.Ordinal);

        // The CA keys came along, sealed: a service on the backend signs with the data directory's keys.
        using (var files = Ferry.Identity.CertificateAuthorityStore.OpenOrCreate(_dir.Path, "test"))
        {
            var backendConfig = new BackendConfig { Kind = BackendKind.Postgres, ConnString = conn, CaKeyEncryption = new CaKeyEncryptionConfig { KeyFile = KeyFile() } };
            await using var shared = await AuthService.OpenAsync(new AuthServiceOptions { DataDir = Path.Combine(_dir.Path, "elsewhere"), ClusterName = "test", Backend = backendConfig, SweepAccessRequests = false }, new CapturingAuditSink());
            foreach (var kind in (Ferry.Identity.CaKind[])[Ferry.Identity.CaKind.User, Ferry.Identity.CaKind.Host, Ferry.Identity.CaKind.DbClient])
            {
                Assert.Equal(files.GetKeys(kind).Single().Id, shared.Authority.GetKeys(kind).Single().Id);
            }
        }

        // The admin commands now read the PostgreSQL backend through --config.
        var (lsCode, users, lsErr) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "users", "ls", "--format", "json");
        Assert.True(lsCode == 0, lsErr);
        Assert.Contains("\"alice\"", users, StringComparison.Ordinal);
        var (_, locks, _) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "locks", "ls", "--format", "json");
        Assert.Contains("mallory", locks, StringComparison.Ordinal);

        var (again, _, againErr) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "backend", "migrate", "--from", "sqlite");
        Assert.Equal(1, again);
        Assert.Contains("already holds items", againErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_RefusesAConfigurationWithoutAPostgresBackend()
    {
        await ApplyRoleAsync();
        var path = Path.Combine(_dir.Path, "sqlite.yaml");
        await File.WriteAllTextAsync(path, $"cluster_name: test\ndata_dir: {_dir.Path}\nauth: {{}}\n");

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "--config", path, "backend", "migrate", "--from", "sqlite");

        Assert.Equal(1, code);
        Assert.Contains("must name a postgres backend", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoAuthServices_OnOneBackend_SeeEachOthersUsersAndLocks()
    {
        var backend = new BackendConfig { Kind = BackendKind.Postgres, ConnString = await pg.NewDatabaseAsync(), CaKeyEncryption = new CaKeyEncryptionConfig { KeyFile = KeyFile() } };
        var sinkA = new CapturingAuditSink();
        var sinkB = new CapturingAuditSink();
        await using var a = await AuthService.OpenAsync(new AuthServiceOptions { DataDir = _dir.Path, ClusterName = "test", ServerId = "auth-a", Backend = backend, SweepAccessRequests = false }, sinkA);
        await using var b = await AuthService.OpenAsync(new AuthServiceOptions { DataDir = _dir.Path, ClusterName = "test", ServerId = "auth-b", Backend = backend, SweepAccessRequests = false }, sinkB);

        await ApplyRoleAsync("--config", await ConfigAsync(backend.ConnString!));
        await a.AddUserAsync("alice", ["access"], null, null, "admin:test");
        Assert.NotNull(await b.GetUserAsync("alice"));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watch = b.WatchLocksAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        while (await watch.MoveNextAsync() && watch.Current.Type != LockWatchEvent.Synced)
        {
        }

        var added = await a.AddLockAsync("user", "alice", "incident", TimeSpan.FromHours(1), "admin:test");
        LockWatchEvent? seen = null;
        while (await watch.MoveNextAsync())
        {
            if (watch.Current.Type == LockWatchEvent.Put)
            {
                seen = watch.Current;
                break;
            }
        }
        await watch.DisposeAsync();

        Assert.Equal(added.Id, seen?.Id);
    }
}
