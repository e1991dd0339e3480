using System.Globalization;
using System.Text;
using Ferry.Auth.Backend;

namespace Ferry.Auth.Tests;

/// <summary>One real PostgreSQL server for the backend tests; each test gets its own database on it.</summary>
public sealed class PostgresBackendServer : IAsyncLifetime
{
    private int _next;

    public TestPki Pki { get; } = new("Ferry backend test CA");

    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync(Pki.ServerTls());

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Pki.Dispose();
    }

    /// <summary>A new empty database and the connection string that reaches it over the fixture's private socket.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = "backend_" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
        await Server.PsqlAsync($"CREATE DATABASE {name}");
        return $"Host={Server.SocketDirectory};Port={Server.Port};Username=postgres;Database={name};Pooling=true";
    }
}

public sealed class PostgresBackendTests(PostgresBackendServer pg) : BackendContractTests, IClassFixture<PostgresBackendServer>, IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await pg.NewDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected override async Task<IBackend> OpenAsync(TimeProvider? time = null) => await PostgresBackend.OpenAsync(_connectionString, time);

    protected override ValueTask<int> SweepAsync(IBackend backend) => ((PostgresBackend)backend).SweepAsync(CancellationToken.None);

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task ConcurrentWritersOnTwoServers_WatcherSeesEveryRevisionInOrder()
    {
        await using var a = await PostgresBackend.OpenAsync(_connectionString);
        await using var b = await PostgresBackend.OpenAsync(_connectionString);
        await using var watcher = await PostgresBackend.OpenAsync(_connectionString);
        var from = await watcher.CurrentRevisionAsync();
        const int PerWriter = 100;

        var writers = new[] { a, b }.Select((backend, w) => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                await backend.PutAsync($"/locks/{w}-{i}", B("x"));
            }
        })).ToArray();

        var seen = new List<long>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in watcher.WatchAsync("/locks/", from, cts.Token))
        {
            seen.Add(e.Revision);
            if (seen.Count == 2 * PerWriter)
            {
                break;
            }
        }

        await Task.WhenAll(writers);
        Assert.Equal(2 * PerWriter, seen.Distinct().Count());
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(2 * PerWriter, (await watcher.RangeAsync("/locks/")).Count);
    }

    [Fact]
    public async Task CompareAndSwapRace_OnTwoServers_ExactlyOneWins()
    {
        await using var a = await PostgresBackend.OpenAsync(_connectionString);
        await using var b = await PostgresBackend.OpenAsync(_connectionString);
        var created = (await a.CompareAndSwapAsync("/counter", 0, B("0")))!.Value;

        var results = await Task.WhenAll(
            Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).CompareAndSwapAsync("/counter", created, B(i.ToString(CultureInfo.InvariantCulture))).AsTask()));

        Assert.Single(results, r => r is not null);
    }

    [Fact]
    public async Task ListenerConnectionKilled_WatchersStillSeeChangesAndTheListenerComesBack()
    {
        await using var watcher = await PostgresBackend.OpenAsync(_connectionString);
        await using var writer = await PostgresBackend.OpenAsync(_connectionString);
        var from = await watcher.CurrentRevisionAsync();
        var database = _connectionString.Split(';').Single(p => p.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];

        // Every backend connection of this database is cut, the listeners' included: the next operations reconnect.
        await pg.Server.PsqlAsync($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()");
        await writer.PutAsync("/locks/after-kill", B("1"));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in watcher.WatchAsync("/locks/", from, cts.Token))
        {
            Assert.Equal("/locks/after-kill", e.Key);
            break;
        }

        // The listener is back: a LISTEN session exists again.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string listening;
        do
        {
            listening = (await pg.Server.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' AND query LIKE 'LISTEN%'")).Trim();
            if (listening != "0")
            {
                break;
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.NotEqual("0", listening);
    }

    [Fact]
    public async Task NewerSchema_IsRefusedWithAClearError()
    {
        await using (await PostgresBackend.OpenAsync(_connectionString))
        {
        }

        var database = _connectionString.Split(';').Single(p => p.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];
        await pg.Server.PsqlAsync("INSERT INTO ferry_schema(version) VALUES (99)", database);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresBackend.OpenAsync(_connectionString));
        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TlsWithClientCertificate_Connects()
    {
        using var dir = new TempDirectory();
        var (certPath, keyPath) = TestPki.WriteClientFiles(dir.Path, "postgres", pg.Pki.IssueClient("postgres"));
        var caPath = Path.Combine(dir.Path, "ca.pem");
        await File.WriteAllTextAsync(caPath, pg.Pki.CaPem);
        var database = _connectionString.Split(';').Single(p => p.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];
        var tls = $"Host=127.0.0.1;Port={pg.Server.Port};Username=postgres;Database={database};SSL Mode=VerifyFull;Root Certificate={caPath};SSL Certificate={certPath};SSL Key={keyPath}";

        await using var backend = await PostgresBackend.OpenAsync(tls);
        await backend.PutAsync("/users/tls", B("1"));

        Assert.NotNull(await backend.GetAsync("/users/tls"));
        Assert.Contains("t", await pg.Server.PsqlAsync($"SELECT bool_or(ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = '{database}'"), StringComparison.Ordinal);
    }
}
