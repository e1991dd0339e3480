using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Npgsql;
using Xunit.Abstractions;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// The proof of issue 24 (<see cref="HaClusterFixture"/>: PostgreSQL backend, 2 auth servers, 2 proxies, 1 agent):
/// under a steady INSERT load through both proxies, <c>kill -9</c> of proxy A leaves the sessions through B
/// committing, new connections to A are refused at once and work through B, and the agent is back on A within
/// seconds of its restart; <c>kill -9</c> of auth server 1 leaves logins, certificate issuing and locks working through
/// auth 2 (a lock added on auth 2 closes a session relayed by a proxy that was following auth 1, within 2 s); and every
/// committed statement of the run is in the audit afterwards (the events are split between the two auth servers'
/// stores: both are searched).
/// </summary>
public sealed class HaChaosEndToEndTests(HaClusterFixture fixture, ITestOutputHelper output) : IClassFixture<HaClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task KillingAProxyThenAnAuthServer_UnderLoad_KeepsSessionsLoginsLocksAndEveryAuditEvent()
    {
        var run = Stopwatch.StartNew();
        var (a, b) = (fixture.ProxyA, fixture.ProxyB);
        string Id() => Guid.NewGuid().ToString("N")[..8];
        var tag = "ha" + Id();
        var dev = await Cluster.AddUserAsync("hadev" + Id(), "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(dev, HaClusterFixture.Database, "alice", "app");
        var auditor = await Cluster.AddUserAsync("haaudit" + Id(), "admin");
        var auditorCreds = await Cluster.LoginAsync(auditor);
        // The web admin session lives on auth 2, the server that stays up.
        using var web = await HaClusterFixture.WebSignInAsync(fixture.Auth2Port, await Cluster.AddUserAsync("haadmin" + Id(), "admin"));
        foreach (var port in new[] { a.Port, b.Port })
        {
            Assert.True(await ProxyMeshEndToEndTests.EventuallyAsync(async () => (await Cluster.PsqlAsync(creds, port, "SELECT 1")).Code == 0, TimeSpan.FromSeconds(40)),
                $"pgha never reachable through 127.0.0.1:{port}" + fixture.Logs());
        }

        // Two writers per proxy, each committing distinct tagged rows until the end of the run.
        var writers = new[] { a.Port, a.Port, b.Port, b.Port }.Select((port, i) => new Writer(ConnString(creds, port), $"{tag}-{i}")).ToArray();
        var (viaA, viaB) = (writers[..2], writers[2..]);
        var running = writers.Select(w => Task.Run(w.RunAsync)).ToArray();
        Assert.True(await ProxyMeshEndToEndTests.EventuallyAsync(() => writers.All(w => w.CommittedCount > 5), TimeSpan.FromSeconds(30)),
            "the writers never got going: " + string.Join("; ", writers.SelectMany(w => w.Errors)) + fixture.Logs());

        // a. kill -9 proxy A: the sessions through B keep committing.
        a.Kill();
        var killedA = DateTime.UtcNow;
        Assert.True(await ProxyMeshEndToEndTests.EventuallyAsync(() => viaB.All(w => w.CommittedSince(killedA) >= 10), TimeSpan.FromSeconds(20)), "the sessions through B stalled when A died" + fixture.Logs());
        Assert.True(viaA.All(w => !w.Errors.IsEmpty), "the sessions through A did not notice its death");

        // A new connection to A is refused at once (well under the 30 s client timeout); through B it works.
        var dial = Stopwatch.StartNew();
        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(async () =>
        {
            await using var _ = await OpenAsync(ConnString(creds, a.Port));
        });
        var dialTook = dial.Elapsed;
        Assert.True(dialTook < TimeSpan.FromSeconds(3), $"connecting to the dead proxy took {dialTook}");
        Assert.Contains(Causes(refused), e => e is SocketException { SocketErrorCode: SocketError.ConnectionRefused });
        await using (var viaBNow = await OpenAsync(ConnString(creds, b.Port)))
        {
            Assert.Equal(1, await ScalarAsync(viaBNow, "SELECT 1"));
        }

        // A restarts: the agent's tunnel to it is back within seconds (jittered backoff capped at 3 s), and the writers through A resume.
        await a.StartAsync();
        var back = Stopwatch.StartNew();
        Assert.True(await ProxyMeshEndToEndTests.EventuallyAsync(async () => (await Cluster.PsqlAsync(creds, a.Port, "SELECT 1")).Code == 0, TimeSpan.FromSeconds(30)), "the agent never came back to proxy A" + fixture.Logs());
        var backAfter = back.Elapsed;
        Assert.True(backAfter < TimeSpan.FromSeconds(10), $"the agent took {backAfter} to come back to proxy A");
        var restartedA = DateTime.UtcNow;
        Assert.True(await ProxyMeshEndToEndTests.EventuallyAsync(() => viaA.All(w => w.CommittedSince(restartedA) > 0), TimeSpan.FromSeconds(20)), "the writers through A never resumed" + fixture.Logs());

        // A lock added on auth 2 while both proxies follow auth 1 closes a session relayed by B within 2 s.
        await AssertLockClosesSessionAsync(web, b.Port, "through the backend to auth 1's followers");

        // b. kill -9 auth server 1; the sessions are not its business.
        var errorsBefore = writers.Sum(w => w.Errors.Count);
        Cluster.KillFerryd();
        var killedAuth = DateTime.UtcNow;
        // Logins and certificate issuing: at auth 2's own address, and through proxy A's port (its auth_addr list fails over).
        var direct = await Cluster.LoginAsync(await Cluster.AddUserAsync("hadirect" + Id(), "developer", "db_users=alice"), HaClusterFixture.Database, "alice", "app", apiPort: fixture.Auth2Port);
        var viaProxy = await Cluster.LoginAsync(await Cluster.AddUserAsync("havia" + Id(), "developer", "db_users=alice"), HaClusterFixture.Database, "alice", "app", apiPort: a.Port);
        foreach (var (c, port) in new[] { (direct, b.Port), (viaProxy, a.Port) })
        {
            var (code, text) = await Cluster.PsqlAsync(c, port, "SELECT 40 + 2");
            Assert.True(code == 0 && text.Trim() == "42", $"psql through 127.0.0.1:{port} with a certificate from auth 2: {text}" + fixture.Logs());
        }

        // Locks: the proxies' API clients fail over to auth 2 (logged and counted), their lock watches reconnect there;
        // a lock added on auth 2 closes a session relayed by A (which followed auth 1) within 2 s.
        var failedOver = $"failed over to 127.0.0.1:{fixture.Auth2Port}";
        Assert.True(await ProxyMeshEndToEndTests.EventuallyAsync(() => new[] { a, b }.All(p => p.Log.Contains("lock watch interrupted", StringComparison.Ordinal) && p.Log.Contains(failedOver, StringComparison.Ordinal)), TimeSpan.FromSeconds(20)),
            "the proxies' API clients did not fail over to auth 2" + fixture.Logs());
        // The lock watch's reconnect (a pause with backoff, auth 1 refused, then auth 2) takes a loaded machine longer
        // than any fixed wait: a first lock, given up to 30 s, shows A follows auth 2's locks; the next must take < 2 s.
        await AssertLockClosesSessionAsync(web, a.Port, "after auth 1's death, A's watch back on auth 2", TimeSpan.FromSeconds(30));
        await AssertLockClosesSessionAsync(web, a.Port, "after auth 1's death");
        Assert.Equal(errorsBefore, writers.Sum(w => w.Errors.Count)); // no session broke with auth 1
        Assert.True(writers.All(w => w.CommittedSince(killedAuth) > 0), "a writer stalled when auth 1 died");

        // c. Auth 1 back, the load stopped: every committed row is in the table and its statement in the audit.
        await Cluster.RestartFerrydAsync();
        foreach (var w in writers)
        {
            w.Stop();
        }
        await Task.WhenAll(running);
        var committed = writers.SelectMany(w => w.Committed).ToHashSet(StringComparer.Ordinal);
        var rows = (await Cluster.Postgres.PsqlAsync($"SELECT tag FROM ha_chaos WHERE tag LIKE '{tag}-%'", "app"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(committed.Except(rows));
        HashSet<string> audited = [];
        using var auth1 = Cluster.Api(auditorCreds.Certificate);
        using var auth2 = Cluster.Api(auditorCreds.Certificate, fixture.Auth2Port);
        var stored = await ProxyMeshEndToEndTests.EventuallyAsync(async () =>
        {
            foreach (var api in new[] { auth1, auth2 })
            {
                var body = await api.GetStringAsync($"/v1/audit/search?contains={tag}&since=1h&limit=100000");
                audited.UnionWith(Regex.Matches(body, Regex.Escape(tag) + @"-\d+-\d+").Select(m => m.Value));
            }
            return !committed.Except(audited).Any();
        }, TimeSpan.FromSeconds(45));
        var missing = committed.Except(audited).Order(StringComparer.Ordinal).ToList();
        var sent = writers.Sum(w => w.Sent);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"ha chaos: {sent} statements sent, {committed.Count} committed, {rows.Count} rows, {audited.Count} audited; refused dial {dialTook.TotalMilliseconds:0} ms; back on A {backAfter.TotalSeconds:0.0} s after its restart; run {run.Elapsed.TotalSeconds:0} s");
        output.WriteLine(summary);
        Console.WriteLine(summary);
        Assert.True(stored, $"{missing.Count} committed statements have no audit event, e.g. {string.Join(", ", missing.Take(5))}" + fixture.Logs());
        Assert.True(audited.Count <= sent, $"more statements audited ({audited.Count}) than sent ({sent})");
    }

    [Fact]
    public async Task TwoAuthServersOnOneBackend_StampTheirOwnServerIds_AndTheAuthOnlyOneListensOnlyOnItsAuthAddress()
    {
        // Auth 2 says proxy: { enabled: false }: nothing listens on the ports its proxy section names.
        Assert.Contains("auth only", fixture.Auth2.Log, StringComparison.Ordinal);
        foreach (var port in fixture.Auth2DisabledProxyPorts)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var refused = await Assert.ThrowsAsync<SocketException>(async () => await probe.ConnectAsync(System.Net.IPAddress.Loopback, port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        // One login on each server: each event carries that server's id (auth-MACHINE-PORT by default).
        var id = Guid.NewGuid().ToString("N")[..8];
        var onAuth1 = await Cluster.AddUserAsync("haid1" + id, "developer", "db_users=alice");
        var onAuth2 = await Cluster.AddUserAsync("haid2" + id, "developer", "db_users=alice");
        await Cluster.LoginAsync(onAuth1, apiPort: Cluster.AuthPort);
        await Cluster.LoginAsync(onAuth2, apiPort: fixture.Auth2Port);
        var machine = Environment.MachineName.ToLowerInvariant();
        var expected = $"{onAuth1.User}=auth-{machine}-{Cluster.AuthPort}\n{onAuth2.User}=auth-{machine}-{fixture.Auth2Port}";
        var stamped = "";
        Assert.True(await ProxyMeshEndToEndTests.EventuallyAsync(async () =>
        {
            stamped = (await Cluster.Postgres.PsqlAsync(
                $"SELECT DISTINCT user_name || '=' || (convert_from(event, 'UTF8')::json->>'server_id') FROM ferry_audit WHERE type = 'user.login' AND user_name LIKE 'haid_{id}' ORDER BY 1",
                "ferry_backend")).Trim();
            return stamped == expected;
        }, TimeSpan.FromSeconds(30)), $"login events stamped {stamped}, expected {expected}" + fixture.Logs());
    }

    /// <summary>
    /// Opens a session as a fresh user through <paramref name="port"/>, locks that user through auth 2's web admin API,
    /// and asserts that the session is closed within <paramref name="within"/> (2 s unless given) and a new one refused.
    /// </summary>
    private async Task AssertLockClosesSessionAsync(HttpClient web, int port, string when, TimeSpan? within = null)
    {
        var bound = within ?? TimeSpan.FromSeconds(2);
        var user = await Cluster.AddUserAsync("halock" + Guid.NewGuid().ToString("N")[..8], "developer", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, HaClusterFixture.Database, "alice", "app", apiPort: fixture.Auth2Port);
        await using var session = await OpenAsync(ConnString(creds, port));
        Assert.Equal(1, await ScalarAsync(session, "SELECT 1"));
        await HaClusterFixture.LockUserAsync(web, user.User, "ha chaos test");
        var clock = Stopwatch.StartNew();
        Exception? ended = null;
        while (ended is null && clock.Elapsed < bound + TimeSpan.FromSeconds(8))
        {
            try
            {
                await ScalarAsync(session, "SELECT 1");
                await Task.Delay(50);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                ended = e;
            }
        }
        var took = clock.Elapsed;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lock {when}: session through {port} closed after {took.TotalMilliseconds:0} ms"));
        Assert.True(ended is not null, $"the lock ({when}) never closed the session through 127.0.0.1:{port}" + fixture.Logs());
        Assert.True(took < bound, $"the lock ({when}) took {took} to close the session through 127.0.0.1:{port}");
        var (code, text) = await Cluster.PsqlAsync(creds, port, "SELECT 1");
        Assert.NotEqual(0, code);
        Assert.Contains("lock", text, StringComparison.OrdinalIgnoreCase);
    }

    private string ConnString(FerryCluster.Credentials creds, int port) =>
        Cluster.NpgsqlConnectionString(creds).Replace($"Port={Cluster.ProxyPort};", $"Port={port};", StringComparison.Ordinal);

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<int> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static IEnumerable<Exception> Causes(Exception e)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
        {
            yield return c;
        }
    }

    /// <summary>
    /// One client session committing <c>INSERT INTO ha_chaos VALUES ('PREFIX-n')</c> one after the other; a broken
    /// session is noted and reopened (after 200 ms) until <see cref="Stop"/>.
    /// </summary>
    private sealed class Writer(string connectionString, string prefix)
    {
        private readonly ConcurrentQueue<(DateTime At, string Tag)> _committed = new();
        private volatile bool _stop;
        private int _sent;

        public ConcurrentQueue<string> Errors { get; } = new();

        public int Sent => Volatile.Read(ref _sent);

        public int CommittedCount => _committed.Count;

        public IEnumerable<string> Committed => _committed.Select(c => c.Tag);

        public int CommittedSince(DateTime at) => _committed.Count(c => c.At > at);

        public void Stop() => _stop = true;

        public async Task RunAsync()
        {
            NpgsqlConnection? connection = null;
            var n = 0;
            while (!_stop)
            {
                try
                {
                    connection ??= await OpenAsync(connectionString);
                    var tag = $"{prefix}-{n++}";
                    await using var insert = new NpgsqlCommand($"INSERT INTO ha_chaos (tag) VALUES ('{tag}')", connection);
                    Interlocked.Increment(ref _sent);
                    await insert.ExecuteNonQueryAsync();
                    _committed.Enqueue((DateTime.UtcNow, tag));
                    await Task.Delay(20);
                }
                catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or SocketException or TimeoutException)
                {
                    Errors.Enqueue(e.Message);
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                    await Task.Delay(200);
                }
            }
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
