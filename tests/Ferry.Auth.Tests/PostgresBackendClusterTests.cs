using Ferry.Audit;
using Ferry.Auth.AuditPipeline;
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

        // A second run finds its own marker: the state is not copied again.
        var (again, againOut, againErr) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "backend", "migrate", "--from", "sqlite");
        Assert.True(again == 0, againErr);
        Assert.Contains("migrated by an earlier run: skipped", againOut, StringComparison.Ordinal);

        // A backend holding items of its own is refused.
        var other = await pg.NewDatabaseAsync();
        await using (var foreign = await PostgresBackend.OpenAsync(other))
        {
            await foreign.PutAsync("/users/someone", "{}"u8.ToArray());
        }
        var (refused, _, refusedErr) = await AdminRunner.RunAsync(_dir.Path, "--config", await ConfigAsync(other), "backend", "migrate", "--from", "sqlite");
        Assert.Equal(1, refused);
        Assert.Contains("already holds items", refusedErr, StringComparison.Ordinal);
    }

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Writes <paramref name="count"/> events into the data directory's segment store (sealing one segment halfway), as a server would.</summary>
    private List<AuditEvent> WriteSegmentAudit(int count)
    {
        var events = new List<AuditEvent>();
        using var store = AuditStore.Open(Path.Combine(_dir.Path, "audit"));
        for (var i = 0; i < count; i++)
        {
            var time = T0.AddSeconds(i);
            events.Add(new AuditEvent
            {
                Id = AuditEventId.New(time),
                Time = time,
                Type = AuditEventTypes.DbSessionQuery,
                Code = AuditEventKinds.DbSessionQuery.Code,
                Cluster = "test",
                User = i % 2 == 0 ? "alice" : "bob",
                SessionId = "sess-" + (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ServerId = "agent-1",
                DbService = "pg1",
                Query = $"SELECT {i} FROM orders",
            });
            store.Append([events[^1]]);
            if (i == count / 2)
            {
                store.Seal();
            }
        }
        return events;
    }

    [Fact]
    public async Task Migrate_CopiesTheAuditSegmentsIntoTheTable_ChainVerifies_SecondRunCopiesNothing()
    {
        await ApplyRoleAsync();
        var events = WriteSegmentAudit(40);
        var conn = await pg.NewDatabaseAsync();
        var config = await ConfigAsync(conn);

        var (code, output, error) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "backend", "migrate", "--from", "sqlite");

        Assert.True(code == 0, error);
        Assert.Contains("copied 40 of 40 events", output, StringComparison.Ordinal);
        var verified = PostgresAuditStore.VerifyDatabase(conn);
        Assert.True(verified.Ok, verified.ToString());
        Assert.Equal(40, verified.EventsChecked);
        using (var table = PostgresAuditStore.Open(conn))
        {
            var bobs = table.Search(new AuditQuery { User = "bob", Limit = 0 });
            Assert.Equal(events.Where(e => e.User == "bob").Select(e => e.Id), bobs.Select(e => e.Id));
            var one = Assert.Single(table.Search(new AuditQuery { Contains = "select 17 from", Limit = 0 }));
            Assert.Equal(events[17].Id, one.Id);
        }

        var (again, againOut, againErr) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "backend", "migrate", "--from", "sqlite");
        Assert.True(again == 0, againErr);
        Assert.Contains("copied 0 of 40 events", againOut, StringComparison.Ordinal);
        Assert.Equal(40, PostgresAuditStore.VerifyDatabase(conn).EventsChecked);
    }

    [Fact]
    public async Task MigrateAudit_AfterAnInterruptedCopy_CopiesOnlyTheRest()
    {
        var events = WriteSegmentAudit(30);
        var conn = await pg.NewDatabaseAsync();
        using (var table = PostgresAuditStore.Open(conn))
        {
            Assert.Equal(12, table.Append(events.Take(12).ToList()));
        }

        var (read, stored) = await Ferry.Auth.Admin.AdminBackend.MigrateAuditAsync(Path.Combine(_dir.Path, "audit"), conn, CancellationToken.None);

        Assert.Equal((30L, 18L), (read, stored));
        var verified = PostgresAuditStore.VerifyDatabase(conn);
        Assert.True(verified.Ok, verified.ToString());
        Assert.Equal(30, verified.EventsChecked);
    }

    [Fact]
    public async Task Migrate_WithAnAuditChainThatDoesNotVerify_IsRefusedAndCopiesNothing()
    {
        await ApplyRoleAsync();
        WriteSegmentAudit(10);
        var log = Directory.GetFiles(Path.Combine(_dir.Path, "audit"), "seg-*.log").Single();
        var bytes = await File.ReadAllBytesAsync(log);
        var at = bytes.AsSpan().IndexOf("SELECT 9 FROM"u8);
        bytes[at + 7] = (byte)'8';
        await File.WriteAllBytesAsync(log, bytes);
        var conn = await pg.NewDatabaseAsync();
        var config = await ConfigAsync(conn);

        var (code, _, error) = await AdminRunner.RunAsync(_dir.Path, "--config", config, "backend", "migrate", "--from", "sqlite");

        Assert.Equal(1, code);
        Assert.Contains("does not verify", error, StringComparison.Ordinal);
        await using var backend = await PostgresBackend.OpenAsync(conn);
        Assert.Empty(await backend.RangeAsync("/"));
        Assert.Equal(0, PostgresAuditStore.VerifyDatabase(conn).EventsChecked);
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
