using Ferry.Testing;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// A cluster for the web UI tests: the developer role of <see cref="FerryCluster"/>, the access request roles
/// (prod-requester asks for databases labelled env: prod through prod-access, prod-reviewer reviews), and a table
/// <c>web_items</c> in PostgreSQL's and MariaDB's <c>app</c> for the schema browser.
/// </summary>
public sealed class WebUiClusterFixture : IAsyncLifetime
{
    public const string RequesterRole = """
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

    public const string ProdAccessRole = """
        kind: role
        name: prod-access
        allow:
          db_labels: { env: prod }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
        """;

    public const string ReviewerRole = """
        kind: role
        name: prod-reviewer
        allow:
          review_requests: { roles: [prod-access] }
        """;

    public const string AuditorRole = """
        kind: role
        name: web-auditor
        options: { audit_search: true }
        allow:
          db_labels: { env: dev }
          db_names: [app]
          db_users: [readonly]
        """;

    /// <summary>Every session on env: dev databases needs MFA (a one-time code or a security key) — the console's session MFA.</summary>
    public const string SessionMfaRole = """
        kind: role
        name: web-mfa
        options: { require_session_mfa: true }
        allow:
          db_labels: { env: dev }
          db_names: [app]
          db_users: ["{{internal.db_users}}"]
        """;

    public FerryCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await FerryCluster.StartAsync();
        foreach (var (name, yaml) in new[] { ("prod-access", ProdAccessRole), ("prod-requester", RequesterRole), ("prod-reviewer", ReviewerRole), ("web-auditor", AuditorRole), ("web-mfa", SessionMfaRole) })
        {
            var path = Path.Combine(Cluster.Root, name + ".yaml");
            await File.WriteAllTextAsync(path, yaml);
            await Cluster.AdminAsync("roles", "apply", "-f", path);
        }

        await Cluster.Postgres.PsqlAsync("CREATE TABLE web_items (id integer PRIMARY KEY, name text NOT NULL, note text); ALTER TABLE web_items OWNER TO alice; INSERT INTO web_items VALUES (1, 'first', NULL), (2, 'second', 'x')", database: "app");
        await Cluster.MariaDb.SqlAsync("CREATE TABLE app.web_items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, note TEXT); INSERT INTO app.web_items VALUES (1, 'first', NULL), (2, 'second', 'x');");
    }

    /// <summary>A new user (unique name) with <paramref name="roles"/>, as the scenario's params want it.</summary>
    public async Task<(FerryCluster.UserSecrets Secrets, System.Text.Json.Nodes.JsonObject Json)> UserAsync(string prefix, string roles, string? traits = null)
    {
        var user = await Cluster.AddUserAsync(prefix + Guid.NewGuid().ToString("N")[..6], roles, traits);
        return (user, new System.Text.Json.Nodes.JsonObject { ["user"] = user.User, ["password"] = user.Password, ["totp_secret"] = user.TotpSecret });
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
