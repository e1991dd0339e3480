using System.CommandLine;
using Ferry.Contracts;
using Ferry.Text;

namespace Ferry.Auth.Admin;

/// <summary><c>roles apply -f|ls|get|rm</c>.</summary>
internal static class AdminRoles
{
    public static Command Create(AdminOptions o)
    {
        var roles = new Command("roles", "Manage roles");

        var file = new Option<string>("--file", "-f") { Description = "YAML file with one or more roles (--- between them)", Required = true };
        var apply = new Command("apply", "Create or replace roles from YAML; nothing is applied if any role is invalid") { file };
        apply.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var path = r.GetValue(file)!;
            var yaml = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
            var names = await s.ApplyRolesAsync(yaml, Path.GetFileName(path), AdminOptions.Actor, ct).ConfigureAwait(false);
            await w.WriteAsync(o.Json(r)
                ? AdminOptions.ToJson([.. names], AdminJsonContext.Default.ListString) + "\n"
                : string.Concat(names.Select(n => $"role \"{n}\" applied\n"))).ConfigureAwait(false);
        }, ct));
        roles.Add(apply);

        var ls = new Command("ls", "List roles");
        ls.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var list = await s.ListRolesAsync(ct).ConfigureAwait(false);
            await w.WriteAsync(o.Json(r)
                ? AdminOptions.ToJson(list, AuthApiJsonContext.Default.ListRoleInfo) + "\n"
                : TextTable.RenderUnderlined(["ROLE", "BUILT-IN"], list.Select(x => (IReadOnlyList<string>)[x.Name, x.BuiltIn ? "yes" : ""]))).ConfigureAwait(false);
        }, ct));
        roles.Add(ls);

        var getName = new Argument<string>("name");
        var get = new Command("get", "Print a role as YAML") { getName };
        get.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var role = await s.GetRoleAsync(r.GetValue(getName)!, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"role \"{r.GetValue(getName)}\" does not exist: see `roles ls`");
            await w.WriteAsync(o.Json(r) ? AdminOptions.ToJson([role], AuthApiJsonContext.Default.ListRoleInfo) + "\n" : role.Yaml).ConfigureAwait(false);
        }, ct));
        roles.Add(get);

        var rmName = new Argument<string>("name");
        var rm = new Command("rm", "Delete a role (refused while a user holds it)") { rmName };
        rm.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            await s.RemoveRoleAsync(r.GetValue(rmName)!, AdminOptions.Actor, ct).ConfigureAwait(false);
            await w.WriteLineAsync($"role \"{r.GetValue(rmName)}\" deleted").ConfigureAwait(false);
        }, ct));
        roles.Add(rm);
        return roles;
    }
}
