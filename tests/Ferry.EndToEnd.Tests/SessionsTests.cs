using System.Text.Json;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary><c>ferry sessions ls</c> and <c>ferry sessions end</c> against live sessions, through the real binaries.</summary>
public sealed class SessionsTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private FerryCluster Cluster => fixture.Cluster;

    private static async Task<JsonElement?> ListedAsync(FerryCli cli, string user, Func<JsonElement, bool>? until = null)
    {
        for (var i = 0; i < 120; i++)
        {
            var json = await cli.RunCheckedAsync("sessions", "ls", "--format", "json");
            using var doc = JsonDocument.Parse(json);
            foreach (var s in doc.RootElement.GetProperty("sessions").EnumerateArray())
            {
                if (s.GetProperty("user").GetString() == user && (until is null || until(s)))
                {
                    return s.Clone();
                }
            }

            await Task.Delay(250);
        }

        return null;
    }

    [Fact]
    public async Task Ls_ShowsOwnSessionsToTheirUserAndAllToAuditors_WithLiveCounts_AndEndClosesOneWithTheReason()
    {
        var owner = await Cluster.AddUserAsync("so" + Guid.NewGuid().ToString("N")[..9], "developer", "db_users=alice");
        var other = await Cluster.AddUserAsync("sx" + Guid.NewGuid().ToString("N")[..9], "developer", "db_users=alice");
        var admin = await Cluster.AddUserAsync("sa" + Guid.NewGuid().ToString("N")[..9], "admin");
        using var ownerCli = new FerryCli(Cluster);
        using var otherCli = new FerryCli(Cluster);
        using var adminCli = new FerryCli(Cluster);
        Assert.Equal(0, (await ownerCli.LoginWithPreviousCodeAsync(owner)).ExitCode);
        Assert.Equal(0, (await otherCli.LoginWithPreviousCodeAsync(other)).ExitCode);
        Assert.Equal(0, (await adminCli.LoginWithPreviousCodeAsync(admin)).ExitCode);

        var creds = await Cluster.LoginAsync(owner, "pg1", "alice", "app");
        await using var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds) + ";Pooling=false");
        await conn.OpenAsync();
        await using (var cmd = new NpgsqlCommand("SELECT g FROM generate_series(1, 7) g", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
            }
        }

        // The owner sees it, with what it did so far (the agent reports within a second or two).
        var mine = await ListedAsync(ownerCli, owner.User, s => s.GetProperty("rows").GetInt64() >= 7);
        Assert.NotNull(mine);
        var id = mine.Value.GetProperty("id").GetString()!;
        Assert.Equal(("pg1", "postgres", "alice", "app"), (mine.Value.GetProperty("database").GetString(), mine.Value.GetProperty("protocol").GetString(), mine.Value.GetProperty("db_user").GetString(), mine.Value.GetProperty("db_name").GetString()));
        Assert.True(mine.Value.GetProperty("statements").GetInt64() >= 1);
        Assert.True(mine.Value.GetProperty("bytes").GetInt64() > 0);
        var table = await ownerCli.RunCheckedAsync("sessions", "ls");
        Assert.Contains(id, table, StringComparison.Ordinal);

        // Another user without audit_search does not; an admin (audit_search) does.
        var otherJson = await otherCli.RunCheckedAsync("sessions", "ls", "--format", "json");
        Assert.DoesNotContain(id, otherJson, StringComparison.Ordinal);
        Assert.NotNull(await ListedAsync(adminCli, owner.User));

        // Only an admin may end it.
        var (code, refused) = await ownerCli.RunAsync(["sessions", "end", id, "--reason", "try"]);
        Assert.Equal(1, code);
        Assert.Contains("admin role", refused, StringComparison.Ordinal);

        var ended = await adminCli.RunCheckedAsync("sessions", "end", id, "--reason", "incident 4711 review");
        Assert.Contains($"ending session {id}", ended, StringComparison.Ordinal);

        // The session's next statement fails: the agent closed it, telling the client why.
        Exception? failure = null;
        for (var i = 0; i < 100 && failure is null; i++)
        {
            try
            {
                await using var next = new NpgsqlCommand("SELECT 1", conn);
                await next.ExecuteScalarAsync();
                await Task.Delay(100);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                failure = e;
            }
        }

        Assert.NotNull(failure);

        // Audited: who ended it and why, and the session's end with reason lock and the reason text.
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        JsonElement? end = null;
        JsonElement? terminate = null;
        for (var i = 0; i < 120 && (end is null || terminate is null); i++)
        {
            using var doc = JsonDocument.Parse(await api.GetStringAsync($"/v1/audit/search?since=1h&contains={Uri.EscapeDataString(id)}"));
            terminate = doc.RootElement.EnumerateArray().Where(e => e.GetProperty("code").GetString() == "T9020I").Select(e => (JsonElement?)e.Clone()).FirstOrDefault();
            using var own = JsonDocument.Parse(await api.GetStringAsync($"/v1/audit/search?since=1h&session_id={Uri.EscapeDataString(id)}&type=db.session.end"));
            end = own.RootElement.EnumerateArray().Select(e => (JsonElement?)e.Clone()).FirstOrDefault();
            await Task.Delay(250);
        }

        Assert.NotNull(terminate);
        Assert.Equal(admin.User, terminate.Value.GetProperty("user").GetString());
        Assert.Equal("incident 4711 review", terminate.Value.GetProperty("details").GetProperty("reason").GetString());
        Assert.NotNull(end);
        Assert.Equal("lock", end.Value.GetProperty("end_reason").GetString());
        Assert.Contains("incident 4711 review", end.Value.GetProperty("error").GetString(), StringComparison.Ordinal);

        // And it drops out of the list.
        Assert.False(await StillListedAfterAWhileAsync(adminCli, id));
    }

    [Fact]
    public async Task Watch_PrintsALiveSessionsStatementsAsTheyHappen_WithRowsAndErrors_AndStopsWhenItEnds()
    {
        var owner = await Cluster.AddUserAsync("sw" + Guid.NewGuid().ToString("N")[..9], "developer", "db_users=alice");
        var auditor = await Cluster.AddUserAsync("sv" + Guid.NewGuid().ToString("N")[..9], "admin");
        using var ownerCli = new FerryCli(Cluster);
        using var auditorCli = new FerryCli(Cluster);
        Assert.Equal(0, (await ownerCli.LoginWithPreviousCodeAsync(owner)).ExitCode);
        Assert.Equal(0, (await auditorCli.LoginWithPreviousCodeAsync(auditor)).ExitCode);

        var creds = await Cluster.LoginAsync(owner, "pg1", "alice", "app");
        var conn = new NpgsqlConnection(Cluster.NpgsqlConnectionString(creds) + ";Pooling=false;Server Compatibility Mode=NoTypeLoading");
        await conn.OpenAsync();
        async Task RunAsync(string sql)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            try
            {
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                }
            }
            catch (PostgresException)
            {
                // An error is part of what is watched.
            }
        }

        await RunAsync("SELECT g FROM generate_series(1, 7) g");
        var listed = await ListedAsync(auditorCli, owner.User);
        Assert.NotNull(listed);
        var id = listed.Value.GetProperty("id").GetString()!;

        // Watching starts while the session is open and shows what it already did ...
        using var watch = await auditorCli.StartAsync(["sessions", "watch", id, "--interval", "200ms"], "generate_series(1, 7)");

        // ... and each statement after it as it happens, with its rows or its error.
        await RunAsync("SELECT 'watched-' || n FROM generate_series(1, 3) n");
        await RunAsync("SELECT * FROM no_such_table_watched");
        await RunAsync("SELECT 1");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(watch.Output.Contains("no_such_table_watched", StringComparison.Ordinal) && watch.Output.Contains("42P01", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var live = watch.Output;
        Assert.False(watch.Process.HasExited, live);
        var first = live.IndexOf("generate_series(1, 7)", StringComparison.Ordinal);
        var second = live.IndexOf("'watched-'", StringComparison.Ordinal);
        var third = live.IndexOf("no_such_table_watched", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first && third > second, live);
        Assert.Contains("7 rows", live, StringComparison.Ordinal);
        Assert.Contains("3 rows", live, StringComparison.Ordinal);
        Assert.Contains("42P01", live, StringComparison.Ordinal);

        // The session ends: watching stops by itself.
        await conn.DisposeAsync();
        Assert.True(watch.Process.WaitForExit(TimeSpan.FromSeconds(60)), watch.Output);
        Assert.Equal(0, watch.Process.ExitCode);
    }

    private static async Task<bool> StillListedAfterAWhileAsync(FerryCli cli, string id)
    {
        for (var i = 0; i < 60; i++)
        {
            if (!(await cli.RunCheckedAsync("sessions", "ls", "--format", "json")).Contains(id, StringComparison.Ordinal))
            {
                return false;
            }

            await Task.Delay(250);
        }

        return true;
    }

    [Fact]
    public async Task End_AnUnknownSession_IsRefusedAndAudited()
    {
        var admin = await Cluster.AddUserAsync("su" + Guid.NewGuid().ToString("N")[..9], "admin");
        using var cli = new FerryCli(Cluster);
        Assert.Equal(0, (await cli.LoginWithPreviousCodeAsync(admin)).ExitCode);

        var (code, output) = await cli.RunAsync(["sessions", "end", "no-such-session-42", "--reason", "test"]);

        Assert.Equal(1, code);
        Assert.Contains("no live session", output, StringComparison.Ordinal);
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        using var doc = JsonDocument.Parse(await api.GetStringAsync("/v1/audit/search?since=1h&type=session.terminate&contains=no-such-session-42"));
        Assert.Contains(doc.RootElement.EnumerateArray(), e => e.GetProperty("code").GetString() == "T9020W");
    }
}
