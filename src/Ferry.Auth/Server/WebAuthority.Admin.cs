using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Rbac;
using Ferry.Web;

namespace Ferry.Auth.Server;

/// <summary>
/// The web UI's administration: the AuthService operations of <c>ferryd admin users|roles|locks|tokens|hosts</c>, one
/// implementation each, for users holding the built-in <c>admin</c> role (not locked), with the web user as actor.
/// </summary>
internal sealed partial class WebAuthority
{
    /// <summary>The label role YAML errors carry before line:col (<c>role:3:10: …</c>).</summary>
    internal const string RoleSource = "role";

    public Task<List<UserInfo>> AdminListUsersAsync(UserIdentity admin, CancellationToken ct) =>
        AsAdmin(admin, ct, () => service.ListUsersAsync(ct));

    public Task<WebCredentials> AdminAddUserAsync(UserIdentity admin, string name, IReadOnlyList<string> roles, IReadOnlyDictionary<string, List<string>>? traits, string? password, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            var c = await service.AddUserAsync(name, roles, traits, password, admin.User, ct).ConfigureAwait(false);
            return new WebCredentials(c.User, password is null ? c.Password : null, c.TotpSecret, c.OtpAuthUri);
        });

    public Task<WebCredentials> AdminResetUserAsync(UserIdentity admin, string name, string? password, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            var c = await service.ResetUserAsync(name, password, admin.User, ct).ConfigureAwait(false);
            return new WebCredentials(c.User, password is null ? c.Password : null, c.TotpSecret, c.OtpAuthUri);
        });

    public Task AdminRemoveUserAsync(UserIdentity admin, string name, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            if (name == admin.User)
            {
                throw AuthException.BadRequest("you cannot delete your own user from the web UI: ask another admin or use `ferryd admin users rm`");
            }

            await service.RemoveUserAsync(name, admin.User, ct).ConfigureAwait(false);
            return true;
        });

    public Task<List<RoleInfo>> AdminListRolesAsync(UserIdentity admin, CancellationToken ct) =>
        AsAdmin(admin, ct, () => service.ListRolesAsync(ct));

    public Task<RoleInfo> AdminGetRoleAsync(UserIdentity admin, string name, CancellationToken ct) =>
        AsAdmin(admin, ct, async () => await service.GetRoleAsync(name, ct).ConfigureAwait(false)
            ?? throw AuthException.NotFound($"role \"{AuthService.Bounded(name)}\" does not exist"));

    public Task<WebRoleSave> AdminSaveRoleAsync(UserIdentity admin, string name, string yaml, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            try
            {
                // The validator of `ferryd admin roles apply` (RoleYaml), then its apply; one role, named as the URL says.
                var roles = RoleYaml.Parse(yaml, RoleSource);
                if (roles.Count != 1)
                {
                    throw AuthException.BadRequest($"send exactly one role (this YAML holds {roles.Count})");
                }

                if (roles[0].Name != name)
                {
                    throw AuthException.BadRequest($"the YAML names the role \"{AuthService.Bounded(roles[0].Name)}\", not \"{AuthService.Bounded(name)}\": save it under its own name");
                }

                var applied = await service.ApplyRolesAsync(yaml, RoleSource, admin.User, ct).ConfigureAwait(false);
                return new WebRoleSave(applied[0], []);
            }
            catch (RoleValidationException e)
            {
                IReadOnlyList<WebRoleError> errors = e.Errors.Count > 0
                    ? [.. e.Errors.Take(50).Select(x => new WebRoleError(x.Line, x.Column, x.Path, x.Message, x.ToString()))]
                    : [new WebRoleError(0, 0, "", e.Message, e.Message)];
                return new WebRoleSave(null, errors);
            }
        });

    public Task AdminRemoveRoleAsync(UserIdentity admin, string name, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            await service.RemoveRoleAsync(name, admin.User, ct).ConfigureAwait(false);
            return true;
        });

    public Task<List<LockInfo>> AdminListLocksAsync(UserIdentity admin, CancellationToken ct) =>
        AsAdmin(admin, ct, () => service.ListLocksAsync(ct));

    public Task<LockInfo> AdminAddLockAsync(UserIdentity admin, string kind, string target, string? message, TimeSpan? ttl, CancellationToken ct) =>
        AsAdmin(admin, ct, () => service.AddLockAsync(kind, target, message, ttl, admin.User, ct));

    public Task AdminRemoveLockAsync(UserIdentity admin, string id, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            await service.RemoveLockAsync(id, admin.User, ct).ConfigureAwait(false);
            return true;
        });

    public Task<List<JoinTokenInfo>> AdminListTokensAsync(UserIdentity admin, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            var tokens = await service.ListTokensAsync(ct).ConfigureAwait(false);
            foreach (var t in tokens)
            {
                t.Token = null;
            }

            return tokens;
        });

    public Task<JoinTokenInfo> AdminAddTokenAsync(UserIdentity admin, string role, TimeSpan ttl, bool multiUse, CancellationToken ct) =>
        AsAdmin(admin, ct, () => service.AddTokenAsync(role, ttl, multiUse, admin.User, ct));

    public Task AdminRemoveTokenAsync(UserIdentity admin, string id, CancellationToken ct) =>
        AsAdmin(admin, ct, async () =>
        {
            await service.RemoveTokenAsync(id, admin.User, ct).ConfigureAwait(false);
            return true;
        });

    public Task<List<HostInfo>> AdminListHostsAsync(UserIdentity admin, CancellationToken ct) =>
        AsAdmin(admin, ct, () => service.ListHostsAsync(ct));

    /// <summary>403 unless the user holds the built-in admin role (what <c>can.admin</c> shows) and no lock covers them; then the call.</summary>
    private Task<T> AsAdmin<T>(UserIdentity admin, CancellationToken ct, Func<Task<T>> call) => Translate(async () =>
    {
        if (!admin.Roles.Contains(BuiltInRoles.AdminName))
        {
            throw AuthException.Forbidden($"administration needs the \"{BuiltInRoles.AdminName}\" role");
        }

        await service.RequireUserNotLockedAsync(admin, ct).ConfigureAwait(false);
        return await call().ConfigureAwait(false);
    });
}
