using System.CommandLine;
using Ferry.Contracts;

namespace Ferry.Auth.Admin;

/// <summary><c>hosts ls|rm</c>: the proxies and agents that joined; removing one makes its certificate stop working.</summary>
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
        return hosts;
    }
}
