using System.CommandLine;
using Ferry.Contracts;

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

        roles.Add(o.ListCommand("List roles", (s, ct) => s.ListRolesAsync(ct), AuthApiJsonContext.Default.ListRoleInfo, ["ROLE", "BUILT-IN"],
            x => [x.Name, x.BuiltIn ? "yes" : ""]));

        var getName = new Argument<string>("name");
        var get = new Command("get", "Print a role as YAML") { getName };
        get.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var role = await s.GetRoleAsync(r.GetValue(getName)!, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"role \"{r.GetValue(getName)}\" does not exist: see `roles ls`");
            await w.WriteAsync(o.Json(r) ? AdminOptions.ToJson([role], AuthApiJsonContext.Default.ListRoleInfo) + "\n" : role.Yaml).ConfigureAwait(false);
        }, ct));
        roles.Add(get);

        roles.Add(o.RemoveCommand("Delete a role (refused while a user holds it)", new Argument<string>("name"), (s, name, ct) => s.RemoveRoleAsync(name, AdminOptions.Actor, ct), name => $"role \"{name}\" deleted"));
        return roles;
    }
}
