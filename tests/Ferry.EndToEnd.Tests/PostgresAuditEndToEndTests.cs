using System.Globalization;
using System.Text.Json;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// <c>ferryd</c> (the real AOT binary) on a PostgreSQL backend keeps its audit events in the backend's
/// <c>ferry_audit</c> table: statements sent through Ferry are found there and by the audit search API, <c>ferryd audit
/// verify --config</c> walks the chain, and a <c>kill -9</c> of ferryd in the middle of a load loses no event and
/// stores none twice (the spool ships again after the restart; the table drops what it already holds).
/// </summary>
public sealed class PostgresAuditEndToEndTests
{
    private const string Marker = "pgaudit-e2e-";

    [Fact]
    public async Task Ferryd_OnAPostgresBackend_AuditsIntoTheTable_VerifiesAndSurvivesKill9WithoutLossOrDoubles()
    {
        await using var cluster = await FerryCluster.StartAsync(authOptions: async c => await PostgresBackendEndToEndTests.MigrateToPostgresBackendAsync(c));

        var alice = await cluster.AddUserAsync("alice", "developer", "db_users=alice;db_names=app");
        var creds = await cluster.LoginAsync(alice, "pg1", "alice", "app");

        // Load: one statement at a time, each with its own marker; ferryd is killed with SIGKILL in the middle.
        var acknowledged = new List<int>();
        var attempted = 0;
        using (var session = new Npgsql.NpgsqlConnection(cluster.NpgsqlConnectionString(creds)))
        {
            await session.OpenAsync();
            for (var i = 0; i < 400; i++)
            {
                if (i == 150)
                {
                    cluster.KillFerryd();
                }

                attempted++;
                try
                {
                    await using var cmd = new Npgsql.NpgsqlCommand($"SELECT '{Marker}{i}'", session);
                    await cmd.ExecuteScalarAsync();
                    acknowledged.Add(i);
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or IOException)
                {
                    break;
                }
            }
        }

        Assert.InRange(acknowledged.Count, 150, 151);
        await cluster.RestartFerrydAsync();
        await cluster.WaitReachableAsync(creds, TimeSpan.FromSeconds(60));
        using (var session = new Npgsql.NpgsqlConnection(cluster.NpgsqlConnectionString(creds)))
        {
            await session.OpenAsync();
            for (var i = 1000; i < 1100; i++)
            {
                attempted++;
                await using var cmd = new Npgsql.NpgsqlCommand($"SELECT '{Marker}{i}'", session);
                await cmd.ExecuteScalarAsync();
                acknowledged.Add(i);
            }
        }

        // Every acknowledged statement reaches the table exactly once (bounded wait for the shipper).
        var stored = new List<int>();
        for (var round = 0; round < 150; round++)
        {
            stored = await StoredMarkersAsync(cluster);
            if (acknowledged.All(stored.Contains))
            {
                break;
            }

            await Task.Delay(200);
        }

        var missing = acknowledged.Except(stored).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged statements have no audit event: {string.Join(",", missing.Take(20))}\n{cluster.FerrydLog}");
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.InRange(stored.Count, acknowledged.Count, attempted);
        var ids = await cluster.Postgres.PsqlAsync("SELECT count(*) - count(DISTINCT id) FROM ferry_audit", "ferry_backend");
        Assert.Equal("0", ids.Trim());

        // Nothing went to a segment store in the data directory.
        Assert.False(Directory.Exists(Path.Combine(cluster.DataDir, "audit")) && Directory.EnumerateFiles(Path.Combine(cluster.DataDir, "audit"), "seg-*").Any());

        // The audit search API (what `ferry audit search` and the web UI call) finds them in the table.
        var admin = await cluster.AddUserAsync("auditor1", "admin");
        var adminCreds = await cluster.LoginAsync(admin);
        using (var api = cluster.Api(adminCreds.Certificate))
        {
            // Npgsql sends each statement as Parse/Bind/Execute: the Parse event carries the text.
            string body;
            try
            {
                body = await api.GetStringAsync($"/v1/audit/search?type=db.session.parse&contains={Marker}&since=1h&limit=5000");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                throw new InvalidOperationException($"audit search failed: {e.Message}\n{string.Join('\n', cluster.FerrydLog.Split('\n').TakeLast(60))}", e);
            }

            using var doc = JsonDocument.Parse(body);
            var found = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("query").GetString()!).Where(q => q.Contains(Marker, StringComparison.Ordinal)).ToList();
            Assert.Equal(stored.Count, found.Count);
            string bob;
            try
            {
                bob = await api.GetStringAsync("/v1/audit/search?user=alice&db=pg1&type=db.session.parse&since=1h&limit=1");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                var activity = await cluster.Postgres.PsqlAsync("SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity WHERE datname = 'ferry_backend'");
                throw new InvalidOperationException($"audit search failed: {e.Message}\n{activity}\n{string.Join('\n', cluster.FerrydLog.Split('\n').Where(l => l.Contains("level=warn", StringComparison.Ordinal) || l.Contains("level=err", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal)).Select(l => l.Length > 400 ? l[..400] : l).TakeLast(30))}", e);
            }

            Assert.Single(JsonDocument.Parse(bob).RootElement.EnumerateArray());
        }

        // `ferryd audit verify --config` walks the table's chain.
        var config = Path.Combine(cluster.Root, "ferry.yaml");
        var (code, output) = await ProcessRunner.RunAsync(Binaries.Ferryd, ["audit", "verify", "--config", config], TimeSpan.FromMinutes(2));
        Assert.True(code == 0, output);
        Assert.Contains("audit store OK", output, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL", output, StringComparison.Ordinal);

        // An edit by a superuser (past the append-only trigger) is named by verify.
        await cluster.Postgres.PsqlAsync(
            $"BEGIN; ALTER TABLE ferry_audit DISABLE TRIGGER USER; UPDATE ferry_audit SET event = convert_to(replace(convert_from(event, 'UTF8'), '{Marker}1000', '{Marker}999x'), 'UTF8') WHERE search_upper LIKE '%{Marker.ToUpperInvariant()}1000%'; ALTER TABLE ferry_audit ENABLE TRIGGER USER; COMMIT;",
            "ferry_backend");
        var (broken, brokenOutput) = await ProcessRunner.RunAsync(Binaries.Ferryd, ["audit", "verify", "--config", config], TimeSpan.FromMinutes(2));
        Assert.True(broken == 1, brokenOutput);
        Assert.Contains("chain hash mismatch", brokenOutput, StringComparison.Ordinal);
    }

    private static async Task<List<int>> StoredMarkersAsync(FerryCluster cluster)
    {
        var rows = await cluster.Postgres.PsqlAsync(
            $"SELECT substring(convert_from(event, 'UTF8') from '{Marker}([0-9]+)') FROM ferry_audit WHERE type IN ('db.session.query', 'db.session.parse') AND search_upper LIKE '%{Marker.ToUpperInvariant()}%'",
            "ferry_backend");
        return [.. rows.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
    }
}
