using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Rbac;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>
    /// Validates every role in <paramref name="yaml"/> (all or nothing) and stores them as canonical YAML.
    /// Returns the names applied.
    /// </summary>
    /// <exception cref="RoleValidationException">Invalid YAML or role; the message names file, line, column and field.</exception>
    /// <exception cref="AuthException">400 when a document tries to replace a built-in role.</exception>
    public async Task<IReadOnlyList<string>> ApplyRolesAsync(string yaml, string source, string actor, CancellationToken ct = default)
    {
        var roles = RoleYaml.Parse(yaml, source);
        foreach (var role in roles)
        {
            if (BuiltInRoles.IsBuiltIn(role.Name))
            {
                throw AuthException.BadRequest($"role \"{role.Name}\" is built in and cannot be replaced: give your role another name");
            }
        }

        foreach (var role in roles)
        {
            var existed = await Backend.GetAsync(BackendKeys.Role(role.Name), ct).ConfigureAwait(false) is not null;
            var record = new RoleRecord { Name = role.Name, Yaml = RoleYaml.Write(role), UpdatedAt = Now };
            await Backend.PutAsync(BackendKeys.Role(role.Name), record, StorageJsonContext.Default.RoleRecord, cancellationToken: ct).ConfigureAwait(false);
            Emit(
                existed ? AuditEventKinds.RoleUpdate : AuditEventKinds.RoleCreate,
                actor,
                details: new() { ["role"] = role.Name });
        }

        return [.. roles.Select(r => r.Name)];
    }

    /// <summary>A role by name (built-in ones included), or null.</summary>
    public async Task<RoleInfo?> GetRoleAsync(string name, CancellationToken ct = default)
    {
        if (BuiltInRoles.IsBuiltIn(name))
        {
            return new RoleInfo { Name = name, Yaml = RoleYaml.Write(BuiltInRoles.Admin), BuiltIn = true };
        }

        Names.Require(name, "role name");
        var record = await Backend.GetAsync(BackendKeys.Role(name), StorageJsonContext.Default.RoleRecord, ct).ConfigureAwait(false);
        return record is null ? null : new RoleInfo { Name = record.Name, Yaml = record.Yaml };
    }

    /// <summary>Every role, the built-in admin first.</summary>
    public async Task<List<RoleInfo>> ListRolesAsync(CancellationToken ct = default)
    {
        var stored = await Backend.RangeAsync(BackendKeys.Roles, StorageJsonContext.Default.RoleRecord, ct).ConfigureAwait(false);
        List<RoleInfo> roles = [new RoleInfo { Name = BuiltInRoles.AdminName, Yaml = RoleYaml.Write(BuiltInRoles.Admin), BuiltIn = true }];
        roles.AddRange(stored.Select(r => new RoleInfo { Name = r.Name, Yaml = r.Yaml }));
        return roles;
    }

    public async Task RemoveRoleAsync(string name, string actor, CancellationToken ct = default)
    {
        if (BuiltInRoles.IsBuiltIn(name))
        {
            throw AuthException.BadRequest($"role \"{name}\" is built in and cannot be removed");
        }

        Names.Require(name, "role name");
        var users = await ListUsersAsync(ct).ConfigureAwait(false);
        var holders = users.Where(u => u.Roles.Contains(name, StringComparer.Ordinal)).Select(u => u.Name).ToArray();
        if (holders.Length > 0)
        {
            throw AuthException.Conflict($"role \"{name}\" is held by {string.Join(", ", holders)}: change their roles first");
        }

        if (!await Backend.DeleteAsync(BackendKeys.Role(name), ct).ConfigureAwait(false))
        {
            throw AuthException.NotFound($"role \"{name}\" does not exist: see `roles ls`");
        }

        Emit(AuditEventKinds.RoleDelete, actor, details: new() { ["role"] = name });
    }

    /// <summary>The role documents for <paramref name="names"/>; names that no longer exist are skipped.</summary>
    public async Task<List<RoleDocument>> ResolveRolesAsync(IEnumerable<string> names, CancellationToken ct = default)
    {
        var list = new List<RoleDocument>();
        foreach (var name in names)
        {
            if (BuiltInRoles.IsBuiltIn(name))
            {
                list.Add(BuiltInRoles.Admin);
                continue;
            }

            var record = await Backend.GetAsync(BackendKeys.Role(name), StorageJsonContext.Default.RoleRecord, ct).ConfigureAwait(false);
            if (record is not null)
            {
                list.Add(RoleYaml.ParseSingle(record.Yaml, "stored:" + name));
            }
        }

        return list;
    }
}
