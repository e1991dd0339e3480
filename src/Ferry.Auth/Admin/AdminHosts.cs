using System.CommandLine;
using Ferry.Contracts;

namespace Ferry.Auth.Admin;

/// <summary>
/// <c>hosts ls|rm|share|unshare</c>: the proxies and agents that joined; removing one makes its certificate stop working;
/// sharing a database name lets a second agent serve it (agent HA).
/// </summary>
internal static class AdminHosts
{
    public static Command Create(AdminOptions o)
    {
        var hosts = new Command("hosts", "List or remove the proxies and agents that joined the cluster");
        hosts.Add(o.ListCommand("List registered hosts", (s, ct) => s.ListHostsAsync(ct), AuthApiJsonContext.Default.ListHostInfo,
            ["ID", "ROLE", "NAME", "ADDRESS", "LAST SEEN", "CERT EXPIRES"],
            h => [h.HostId, h.Role, string.Join(",", h.Names), h.Address, h.LastSeenAt is { } seen ? AdminTokens.Time(seen) : "-",
                h.CertificateExpires is { } expires ? AdminTokens.Time(expires) : "-"]));
        hosts.Add(o.RemoveCommand("Remove a host: its certificate is refused from now on (renewal, reports, db-client certificates) and its database names are released",
            new Argument<string>("id") { Description = "Host id (from `hosts ls`)" },
            (s, id, ct) => s.RemoveHostAsync(id, AdminOptions.Actor, ct), id => $"host {id} removed: its certificate no longer works"));
        hosts.Add(Share(o, "share", "Let another agent serve a database name too (agent HA): the proxies pick one of its agents at random and fall back to the others",
            (s, db, agent, ct) => s.ShareDatabaseAsync(db, agent, AdminOptions.Actor, ct), (db, agent) => $"database {db} may now be served by agent {agent} too"));
        hosts.Add(Share(o, "unshare", "Stop an agent a database name was shared with from serving it (its sessions end; its certificates for the name are refused)",
            (s, db, agent, ct) => s.UnshareDatabaseAsync(db, agent, AdminOptions.Actor, ct), (db, agent) => $"agent {agent} no longer serves database {db}"));
        return hosts;
    }

    private static Command Share(AdminOptions o, string name, string description, Func<AuthService, string, string, CancellationToken, Task> run, Func<string, string, string> done)
    {
        var database = new Argument<string>("database") { Description = "Database name (as the agents register it)" };
        var agent = new Argument<string>("agent") { Description = "Agent host id (from `hosts ls`)" };
        var command = new Command(name, description) { database, agent };
        command.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var (db, id) = (r.GetValue(database)!, r.GetValue(agent)!);
            await run(s, db, id, ct).ConfigureAwait(false);
            await w.WriteLineAsync(done(db, id)).ConfigureAwait(false);
        }, ct));
        return command;
    }
}
