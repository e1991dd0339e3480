using System.Net.Http.Json;
using System.Text.Json;
using Ferry.Contracts;
using MySqlConnector;
using Npgsql;

namespace Ferry.EndToEnd.Tests;

/// <summary>Egress budgets shared across sessions: crossing one ends the session and refuses the next, audited once.</summary>
public sealed class EgressBudgetTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private const string BudgetRole = """
        kind: role
        name: egress-100
        options:
          egress: { rows: 100, per: 1h }
        allow:
          db_labels: { env: [dev, staging] }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
        """;

    private FerryCluster Cluster => fixture.Cluster;

    private async Task ApplyRoleAsync()
    {
        var path = Path.Combine(Cluster.Root, "egress-100.yaml");
        await File.WriteAllTextAsync(path, BudgetRole);
        await Cluster.AdminAsync("roles", "apply", "-f", path);
    }

    [Fact]
    public async Task Postgres_BudgetCrossedAcrossTwoSessions_EndsTheSecondAndRefusesTheThird_AuditedOnce()
    {
        await ApplyRoleAsync();
        var user = await Cluster.AddUserAsync("eg" + Guid.NewGuid().ToString("N")[..9], "egress-100", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "pg1", "alice", "app");
        var cs = Cluster.NpgsqlConnectionString(creds) + ";Pooling=false;Server Compatibility Mode=NoTypeLoading"; // Npgsql's type loading would count against the budget

        // First session: 60 rows, within the budget.
        await using (var first = new NpgsqlConnection(cs))
        {
            await first.OpenAsync();
            Assert.Equal(60, await EgressProbe.ReadAllAsync(first, "SELECT g FROM generate_series(1, 60) g"));
        }

        // Second session: 60 more crosses 100 across the two sessions; the session ends.
        await using (var second = new NpgsqlConnection(cs))
        {
            await second.OpenAsync();
            Exception? ended = null;
            for (var i = 0; i < 50 && ended is null; i++)
            {
                try
                {
                    await EgressProbe.ReadAllAsync(second, "SELECT g FROM generate_series(1, 60) g");
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    ended = e;
                }
            }

            Assert.NotNull(ended);
        }

        // Third session: refused at the start until the window moves.
        await using (var third = new NpgsqlConnection(cs))
        {
            var ex = await Assert.ThrowsAnyAsync<NpgsqlException>(() => third.OpenAsync());
            Assert.Contains("egress budget spent", ex.Message, StringComparison.Ordinal);
        }

        var admin = await Cluster.AddUserAsync("ea" + Guid.NewGuid().ToString("N")[..9], "admin");
        using var api = Cluster.Api((await Cluster.LoginAsync(admin)).Certificate);
        List<JsonElement> crossed = [];
        for (var i = 0; i < 120 && crossed.Count == 0; i++)
        {
            using var doc = JsonDocument.Parse(await api.GetStringAsync($"/v1/audit/search?since=1h&type=egress.exceeded&user={user.User}"));
            crossed = [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
            await Task.Delay(250);
        }

        var ev = Assert.Single(crossed);
        Assert.Equal("TEG00W", ev.GetProperty("code").GetString());
        Assert.Equal("pg1", ev.GetProperty("details").GetProperty("database").GetString());
        Assert.Equal("100", ev.GetProperty("details").GetProperty("rows_limit").GetString());
    }

    [Fact]
    public async Task MySql_SpentBudget_RefusesTheNextSession()
    {
        await ApplyRoleAsync();
        var user = await Cluster.AddUserAsync("em" + Guid.NewGuid().ToString("N")[..9], "egress-100", "db_users=alice");
        var creds = await Cluster.LoginAsync(user, "my1", "alice", "app", protocol: "mysql");
        var cs = Cluster.MySqlConnectorConnectionString(creds) + ";Pooling=false";
        await using (var conn = new MySqlConnection(cs))
        {
            await conn.OpenAsync();
            try
            {
                await using var cmd = new MySqlCommand("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 150) SELECT n FROM s", conn);
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                }
            }
            catch (MySqlException)
            {
                // The session may end as the result completes.
            }
        }

        await EgressProbe.AssertNextSessionRefusedAsync(() => new MySqlConnection(cs));
    }

    private const string RequesterRole = """
        kind: role
        name: egress-requester
        options:
          egress: { rows: 100, per: 1h }
        allow:
          db_labels: { env: [dev, staging] }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
          request:
            roles: [egress-extra]
            max_duration: 1h
        """;

    private const string ExtraRole = """
        kind: role
        name: egress-extra
        allow:
          db_labels: { env: [dev, staging] }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
        """;

    private const string ExtraReviewerRole = """
        kind: role
        name: egress-extra-reviewer
        allow:
          review_requests: { roles: [egress-extra] }
        """;

    [Fact]
    public async Task Postgres_SpentBudget_AnApprovedAccessRequest_GrantsAFreshOne_TheUsersOwnStaysSpent()
    {
        foreach (var (name, yaml) in new[] { ("egress-extra", ExtraRole), ("egress-requester", RequesterRole), ("egress-extra-reviewer", ExtraReviewerRole) })
        {
            var path = Path.Combine(Cluster.Root, name + ".yaml");
            await File.WriteAllTextAsync(path, yaml);
            await Cluster.AdminAsync("roles", "apply", "-f", path);
        }

        var user = await Cluster.AddUserAsync("eq" + Guid.NewGuid().ToString("N")[..9], "egress-requester", "db_users=alice");
        var reviewer = await Cluster.AddUserAsync("er" + Guid.NewGuid().ToString("N")[..9], "egress-extra-reviewer");
        var login = await Cluster.LoginAsync(user);
        var creds = await Cluster.RouteAsync(login, "pg1", "alice", "app");
        var cs = Cluster.NpgsqlConnectionString(creds) + ";Pooling=false;Server Compatibility Mode=NoTypeLoading";

        // Her own budget: 150 rows cross 100; the next session is refused.
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync();
            try
            {
                await EgressProbe.ReadAllAsync(conn, "SELECT g FROM generate_series(1, 150) g");
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The statement is stopped at the budget.
            }
        }

        await EgressProbe.AssertNextSessionRefusedAsync(() => new NpgsqlConnection(cs));

        // She asks for more; the reviewer approves; a certificate naming the request gets a budget of its own.
        using var userApi = Cluster.Api(login.Certificate);
        var created = await userApi.PostAsJsonAsync("/v1/access-requests", new AccessRequestCreate { Roles = ["egress-extra"], Reason = "INC-9: export the rest" }, AuthApiJsonContext.Default.AccessRequestCreate);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var request = (await created.Content.ReadFromJsonAsync(AuthApiJsonContext.Default.AccessRequestInfo))!;
        using var reviewerApi = Cluster.Api((await Cluster.LoginAsync(reviewer)).Certificate);
        var reviewed = await reviewerApi.PostAsJsonAsync($"/v1/access-requests/{request.Id}/review", new AccessRequestReview { Approve = true, Reason = "ok" }, AuthApiJsonContext.Default.AccessRequestReview);
        Assert.True(reviewed.IsSuccessStatusCode, await reviewed.Content.ReadAsStringAsync());

        var granted = await Cluster.RouteAsync(login, "pg1", "alice", "app", accessRequestIds: [request.Id]);
        var grantedCs = Cluster.NpgsqlConnectionString(granted) + ";Pooling=false;Server Compatibility Mode=NoTypeLoading";
        await using (var conn = new NpgsqlConnection(grantedCs))
        {
            await conn.OpenAsync();
            Assert.Equal(80, await EgressProbe.ReadAllAsync(conn, "SELECT g FROM generate_series(1, 80) g"));
        }

        // Without the request her own budget is still spent.
        await using (var plain = new NpgsqlConnection(cs))
        {
            var ex = await Assert.ThrowsAnyAsync<NpgsqlException>(() => plain.OpenAsync());
            Assert.Contains("egress budget spent", ex.Message, StringComparison.Ordinal);
        }
    }
}
