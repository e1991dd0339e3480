using System.Text.Json;
using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// Issue 22's proof, with the real binaries, PostgreSQL, MariaDB, psql and mariadb: alice asks for a database labelled
/// <c>env: prod</c> that her roles do not allow, bob approves, alice's psql reaches it until the grant ends and her open
/// session is ended with a message naming the request; a denied request gives nothing; a role outside
/// <c>allow.request</c> is refused at create; dropping a grant ends open sessions (PostgreSQL and MySQL).
/// </summary>
public sealed class AccessRequestEndToEndTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private const string RequesterRole = """
        kind: role
        name: prod-requester
        allow:
          db_labels: { env: dev }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
          request:
            roles: [prod-access]
            search_as_roles: [prod-access]
            max_duration: 1h
            reason: required
        """;

    private const string ProdAccessRole = """
        kind: role
        name: prod-access
        allow:
          db_labels: { env: prod }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
        """;

    private const string ReviewerRole = """
        kind: role
        name: prod-reviewer
        allow:
          review_requests: { roles: [prod-access] }
        """;

    private FerryCluster Cluster => fixture.Cluster;

    private async Task ApplyRolesAsync()
    {
        foreach (var (name, yaml) in new[] { ("prod-access", ProdAccessRole), ("prod-requester", RequesterRole), ("prod-reviewer", ReviewerRole) })
        {
            var path = Path.Combine(Cluster.Root, name + ".yaml");
            await File.WriteAllTextAsync(path, yaml);
            await Cluster.AdminAsync("roles", "apply", "-f", path);
        }
    }

    /// <summary>A requester (db user alice, role prod-requester) and a reviewer (role prod-reviewer), each logged in with <c>ferry</c>.</summary>
    private async Task<(FerryCli Alice, FerryCli Bob, string AliceName, string BobName)> PeopleAsync()
    {
        await ApplyRolesAsync();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var alice = await Cluster.AddUserAsync("alice" + tag, "prod-requester", "db_users=alice");
        var bob = await Cluster.AddUserAsync("bob" + tag, "prod-reviewer");
        var aliceCli = new FerryCli(Cluster);
        var bobCli = new FerryCli(Cluster);
        var (code, output) = await aliceCli.LoginAsync(alice);
        Assert.True(code == 0, output);
        (code, output) = await bobCli.LoginAsync(bob);
        Assert.True(code == 0, output);
        return (aliceCli, bobCli, alice.User, bob.User);
    }

    private static async Task<string> CreateAsync(FerryCli cli, params string[] args)
    {
        var json = await cli.RunCheckedAsync(["request", "create", .. args, "--format", "json"]);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("pending", doc.RootElement.GetProperty("state").GetString());
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    private static Task<(int ExitCode, string Output)> PsqlProdAsync(FerryCli alice, string sql) =>
        ProcessRunner.RunAsync(Path.Combine(PostgresServer.BinDirectory, "psql"), ["service=ferry-pgprod", "-X", "-A", "-t", "-c", sql], TimeSpan.FromMinutes(3), environment: alice.Environment());

    /// <summary>Audit events of <paramref name="user"/> of <paramref name="type"/>, searched by an admin; waits (bounded) for <paramref name="atLeast"/>.</summary>
    private async Task<List<JsonElement>> EventsAsync(string user, string type, Func<JsonElement, bool> match, int atLeast = 1)
    {
        var admin = await Cluster.AddUserAsync("adm" + Guid.NewGuid().ToString("N")[..8], "admin");
        var creds = await Cluster.LoginAsync(admin);
        using var api = Cluster.Api(creds.Certificate);
        List<JsonElement> found = [];
        for (var i = 0; i < 300 && found.Count < atLeast; i++)
        {
            if (i > 0)
            {
                await Task.Delay(200);
            }

            var body = await api.GetStringAsync($"/v1/audit/search?user={Uri.EscapeDataString(user)}&since=1h&limit=1000");
            using var doc = JsonDocument.Parse(body);
            found = [.. doc.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetString() == type && match(e)).Select(e => e.Clone())];
        }

        return found;
    }

    private static bool Names(JsonElement e, string id) =>
        e.TryGetProperty("access_request_ids", out var ids) && ids.EnumerateArray().Any(i => i.GetString() == id);

    [Fact]
    public async Task AliceAsksForAProdDatabase_BobApproves_HerPsqlGetsIn_AndTheGrantsEndClosesHerSessionNamingTheRequest()
    {
        var (alice, bob, aliceName, bobName) = await PeopleAsync();
        using var a = alice;
        using var b = bob;

        // Her roles do not allow the prod database.
        var (code, output) = await alice.RunAsync(["db", "login", "pgprod", "--db-user", "alice", "--db-name", "app"]);
        Assert.True(code != 0, output);

        var id = await CreateAsync(alice, "--resource", "db/pgprod", "--reason", "INC-4211: fix stuck job", "--duration", "45s", "--reviewers", bobName);
        Assert.Contains(id, await bob.RunCheckedAsync("request", "ls", "--state", "pending"), StringComparison.Ordinal);
        var reviewed = await bob.RunCheckedAsync("request", "review", id, "--approve", "--reason", "on call, ok");
        Assert.Contains("approved", reviewed, StringComparison.Ordinal);
        var shown = await alice.RunCheckedAsync("request", "show", id);
        Assert.Contains("State:     approved", shown, StringComparison.Ordinal);
        Assert.Contains($"approve by {bobName}", shown, StringComparison.Ordinal);

        var login = await alice.RunCheckedAsync("login", "--request-id", id);
        Assert.Contains($"Access requests: {id}", login, StringComparison.Ordinal);
        Assert.Contains($"Requests:  {id}", await alice.RunCheckedAsync("status"), StringComparison.Ordinal);
        await alice.RunCheckedAsync("db", "login", "pgprod", "--db-user", "alice", "--db-name", "app");
        (code, output) = await PsqlProdAsync(alice, "SELECT current_database() || ' as ' || current_user");
        Assert.True(code == 0, output);
        Assert.Contains("app as alice", output, StringComparison.Ordinal);

        // An open session that outlives the grant is ended by the agent, and psql is told which request ended.
        (code, output) = await PsqlProdAsync(alice, "SELECT pg_sleep(600)");
        Assert.True(code != 0, output);
        Assert.Contains($"access request {id} has expired", output, StringComparison.Ordinal);

        // The session's events name the request; the grant's expiry is the end reason.
        var ends = await EventsAsync(aliceName, "db.session.end", e => Names(e, id), atLeast: 2);
        Assert.Contains(ends, e => e.GetProperty("end_reason").GetString() == "cert_expired" && e.GetProperty("db_service").GetString() == "pgprod");
        Assert.NotEmpty(await EventsAsync(aliceName, "db.session.start", e => Names(e, id) && e.GetProperty("success").GetBoolean()));

        // Afterwards nothing is left once the grant has ended (certificates end on a whole second, at most a second
        // before the grant itself: wait until the request shows as expired; alice's elevated login has ended, bob looks).
        for (var i = 0; i < 30 && !(await bob.RunCheckedAsync("request", "show", id)).Contains("State:     expired", StringComparison.Ordinal); i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        Assert.Contains("State:     expired", await bob.RunCheckedAsync("request", "show", id), StringComparison.Ordinal);
        (code, output) = await alice.RunAsync(["db", "login", "pgprod", "--db-user", "alice", "--db-name", "app"]);
        Assert.True(code != 0, output);
    }

    [Fact]
    public async Task ADeniedRequest_GivesNoAccess_SelfReviewIsRefused_AndARoleOutsideAllowRequestIsRefusedAtCreate()
    {
        var (alice, bob, _, bobName) = await PeopleAsync();
        using var a = alice;
        using var b = bob;

        var (code, output) = await alice.RunAsync(["request", "create", "--roles", "dba", "--reason", "just because"]);
        Assert.True(code != 0, output);
        Assert.Contains("allow.request", output, StringComparison.Ordinal);

        var id = await CreateAsync(alice, "--roles", "prod-access", "--reason", "INC-7: look at prod");
        (code, output) = await alice.RunAsync(["request", "review", id, "--approve", "--reason", "me"]);
        Assert.True(code != 0, output);

        var denied = await bob.RunCheckedAsync("request", "review", id, "--deny", "--reason", "use the replica");
        Assert.Contains("denied", denied, StringComparison.Ordinal);
        (code, output) = await alice.RunAsync(["login", "--request-id", id]);
        Assert.True(code != 0, output);
        Assert.Contains(id, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Access requests:", await alice.RunCheckedAsync("status"), StringComparison.Ordinal);
        (code, output) = await alice.RunAsync(["db", "login", "pgprod", "--db-user", "alice", "--db-name", "app"]);
        Assert.True(code != 0, output);
        var shown = await alice.RunCheckedAsync("request", "show", id);
        Assert.Contains("State:     denied", shown, StringComparison.Ordinal);
        Assert.Contains($"deny by {bobName}", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DroppingAnApprovedRequest_EndsTheOpenPsqlSession_AndRefusesTheNextOne()
    {
        var (alice, bob, aliceName, _) = await PeopleAsync();
        using var a = alice;
        using var b = bob;
        // --wait: alice's ferry waits for bob's review, then logs in with the request.
        using var waiting = await alice.StartAsync(["request", "create", "--resource", "db/pgprod", "--reason", "INC-9", "--duration", "30m", "--wait"], "Waiting for a review");
        var match = System.Text.RegularExpressions.Regex.Match(waiting.Output, "Access request ([0-9a-fA-F-]+) created");
        Assert.True(match.Success, waiting.Output);
        var id = match.Groups[1].Value;
        await bob.RunCheckedAsync("request", "review", id, "--approve", "--reason", "ok");
        Assert.True(waiting.Process.WaitForExit(TimeSpan.FromMinutes(2)), waiting.Output);
        waiting.Process.WaitForExit();
        Assert.True(waiting.Process.ExitCode == 0, waiting.Output);
        Assert.Contains($"Access requests: {id}", waiting.Output, StringComparison.Ordinal);
        await alice.RunCheckedAsync("db", "login", "pgprod", "--db-user", "alice", "--db-name", "app");

        var open = PsqlProdAsync(alice, "SELECT pg_sleep(600)");
        Assert.NotEmpty(await EventsAsync(aliceName, "db.session.start", e => Names(e, id) && e.GetProperty("success").GetBoolean()));
        var dropped = await alice.RunCheckedAsync("request", "drop", id, "--reason", "fixed");
        Assert.Contains("dropped", dropped, StringComparison.Ordinal);

        var (code, output) = await open;
        Assert.True(code != 0, output);
        Assert.Contains($"access request {id} has ended", output, StringComparison.Ordinal);
        var ends = await EventsAsync(aliceName, "db.session.end", e => Names(e, id) && e.GetProperty("end_reason").GetString() == "lock");
        Assert.NotEmpty(ends);

        // Her saved database certificate still names the request: it is refused, naming it.
        (code, output) = await PsqlProdAsync(alice, "SELECT 1");
        Assert.True(code != 0, output);
        Assert.Contains(id, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DroppingAnApprovedRequest_EndsTheOpenMySqlSession()
    {
        var (alice, bob, aliceName, _) = await PeopleAsync();
        using var a = alice;
        using var b = bob;
        var id = await CreateAsync(alice, "--resource", "db/myprod", "--reason", "INC-10", "--duration", "30m");
        await bob.RunCheckedAsync("request", "review", id, "--approve", "--reason", "ok");
        await alice.RunCheckedAsync("login", "--request-id", id);
        await alice.RunCheckedAsync("db", "login", "myprod", "--db-user", "alice", "--db-name", "app");
        var (code, output) = await alice.MySqlClientAsync("--defaults-group-suffix=_ferry-myprod", "--batch", "-e", "SELECT DATABASE()");
        Assert.True(code == 0, output);
        Assert.Contains("app", output, StringComparison.Ordinal);

        var open = alice.MySqlClientAsync("--defaults-group-suffix=_ferry-myprod", "--batch", "-e", "SELECT SLEEP(600)");
        Assert.NotEmpty(await EventsAsync(aliceName, "db.session.start", e => Names(e, id) && e.GetProperty("success").GetBoolean(), atLeast: 2));
        await alice.RunCheckedAsync("request", "drop", id, "--reason", "fixed");

        (code, output) = await open;
        Assert.True(code != 0, output);
        Assert.Contains($"access request {id} has ended", output, StringComparison.Ordinal);
    }
}
