using System.CommandLine;

namespace Ferry.Auth.Admin;

/// <summary>
/// Local administration of an auth data directory, like <c>tctl</c>; the daemon mounts it as <c>ferryd admin</c>:
/// <c>users add|ls|rm|reset</c>, <c>roles apply -f|ls|get|rm</c>, <c>sso add -f|ls|show|rm</c>, <c>tokens add|ls|rm</c>, <c>locks add|ls|rm</c>, <c>requests ls|show|approve|deny|drop</c>, <c>hosts ls|rm</c>,
/// <c>ca export --type</c>, <c>db-cert</c>, <c>certs user|host</c>. Works directly on the SQLite file and CA files under <c>--data-dir</c>
/// (also while the server runs: it sees changes within a second), so it is the bootstrap path for the first admin.
/// Tables for people, <c>--format json</c> for scripts. Exit code 0 on success, 1 on a refusal (message on stderr).
/// </summary>
public static class AdminCommand
{
    /// <summary>Builds the <c>admin</c> command. <paramref name="input"/> is read by <c>--password-stdin</c> (default: Console.In).</summary>
    public static Command Create(TextReader? input = null)
    {
        var context = new AdminOptions();
        var admin = new Command("admin", "Administer the auth service's data directory (users, roles, tokens, locks, CAs)");
        admin.Add(context.DataDir);
        admin.Add(context.Cluster);
        admin.Add(context.Config);
        admin.Add(context.Format);
        admin.Add(AdminUsers.Create(context, input ?? Console.In));
        admin.Add(AdminRoles.Create(context));
        admin.Add(AdminSso.Create(context));
        admin.Add(AdminTokens.Create(context));
        admin.Add(AdminLocks.Create(context));
        admin.Add(AdminRequests.Create(context));
        admin.Add(AdminHosts.Create(context));
        admin.Add(AdminCa.Create(context));
        admin.Add(AdminCa.CreateDbCert(context));
        admin.Add(AdminCerts.Create(context));
        admin.Add(AdminBackend.Create(context));
        return admin;
    }
}
