using System.Globalization;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// "Every statement lands in the audit log" across <c>kill -9</c>: sessions relayed by <c>ferryd --all-in-one</c> (which
/// holds the agent's relays and its audit spool) commit tagged INSERTs as fast as they can while ferryd is killed with
/// SIGKILL at random moments, several times. After the last restart the spool ships, and every row the database
/// committed has its statement's audit event: the event is in the spool file before the statement reaches the database.
/// </summary>
public sealed class AuditKill9EndToEndTests
{
    private const string Marker = "kill9audit";
    private const int Rounds = 4;
    private const int Sessions = 4;

    [Fact]
    public async Task EveryCommittedStatement_HasItsAuditEvent_AfterRandomKill9sOfTheSpoolingProcess()
    {
        await using var cluster = await FerryCluster.StartAsync(authOptions: async c => await PostgresBackendEndToEndTests.MigrateToPostgresBackendAsync(c));
        await cluster.Postgres.PsqlAsync("CREATE TABLE audit_kill9 (tag text NOT NULL); GRANT SELECT, INSERT ON audit_kill9 TO alice", "app");
        var alice = await cluster.AddUserAsync("alice", "developer", "db_users=alice;db_names=app");
        var creds = await cluster.LoginAsync(alice, "pg1", "alice", "app");
        var seed = Environment.TickCount;
        var random = new Random(seed);

        for (var round = 0; round < Rounds; round++)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var loads = Enumerable.Range(0, Sessions).Select(s => Task.Run(() => InsertUntilCutAsync(cluster, creds, round, s, stop.Token))).ToArray();
            // A random moment once the sessions are busy.
            await Task.Delay(random.Next(400, 1500));
            cluster.KillFerryd();
            var inserted = await Task.WhenAll(loads);
            Assert.True(inserted.All(n => n > 0), $"round {round}: a session committed nothing before the kill (seed {seed})");
            await cluster.RestartFerrydAsync();
            await cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(60));
        }

        // What the database committed, against what the audit log holds once the spool has shipped (bounded wait).
        var committed = (await cluster.Postgres.PsqlAsync("SELECT tag FROM audit_kill9", "app"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        Assert.True(committed.Count >= Rounds * Sessions, $"only {committed.Count} rows committed");
        var missing = committed.ToList();
        for (var poll = 0; poll < 150 && missing.Count > 0; poll++)
        {
            var audited = await AuditedTagsAsync(cluster);
            missing = [.. committed.Where(t => !audited.Contains(t))];
            if (missing.Count > 0)
            {
                await Task.Delay(200);
            }
        }

        Assert.True(missing.Count == 0,
            $"{missing.Count} of {committed.Count} committed statements have no audit event (seed {seed}): {string.Join(",", missing.Take(20))}");
    }

    /// <summary>One session inserting tagged rows back to back until ferryd's death cuts it; returns how many it committed.</summary>
    private static async Task<int> InsertUntilCutAsync(FerryCluster cluster, FerryCluster.Credentials creds, int round, int session, CancellationToken ct)
    {
        var done = 0;
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(cluster.NpgsqlConnectionString(creds));
            await connection.OpenAsync(ct);
            for (var i = 0; i < 1_000_000 && !ct.IsCancellationRequested; i++)
            {
                await using var cmd = new Npgsql.NpgsqlCommand($"INSERT INTO audit_kill9 VALUES ('{Marker}-{round}-{session}-{i}')", connection);
                await cmd.ExecuteNonQueryAsync(ct);
                done++;
            }
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or IOException or OperationCanceledException)
        {
            // Cut by the kill.
        }
        return done;
    }

    private static async Task<HashSet<string>> AuditedTagsAsync(FerryCluster cluster)
    {
        var rows = await cluster.Postgres.PsqlAsync(
            $"SELECT substring(convert_from(event, 'UTF8') from '({Marker}-[0-9]+-[0-9]+-[0-9]+)') FROM ferry_audit WHERE type IN ('db.session.query', 'db.session.parse') AND search_upper LIKE '%{Marker.ToUpperInvariant()}%'",
            "ferry_backend");
        return rows.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }
}
