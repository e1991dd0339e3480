using Ferry.Contracts;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Auth.Inventory;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    private DatabaseInventory? _inventory;

    /// <summary>What the agents registered and the proxies currently reach (see <see cref="DatabaseInventory"/>).</summary>
    public DatabaseInventory Inventory => _inventory ??= new DatabaseInventory(_time);

    /// <summary>
    /// <c>GET /v1/databases</c>: the databases the user's current roles (re-read for a local user; an SSO
    /// user's are those of the certificate) can see, with the db users and db names they allow there.
    /// </summary>
    public async Task<DatabasesResponse> ListDatabasesAsync(UserIdentity user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var (userName, baseRoles, traits) = await CurrentRolesAndTraitsAsync(user, ct).ConfigureAwait(false);
        // An elevated certificate also sees what its approved requests add (a resource request: only its databases).
        var elevation = await ElevateAsync(userName, baseRoles, user.AccessRequestIds, null, null, ct).ConfigureAwait(false);
        var rbac = new RbacEvaluator(await ResolveRolesAsync(elevation.Roles, ct).ConfigureAwait(false), traits, elevation.ResourceIds, elevation.LimitedRoles);
        var response = new DatabasesResponse();
        foreach (var db in Inventory.Current(await DatabaseBindingsAsync(ct).ConfigureAwait(false)))
        {
            var summary = rbac.Summarize(new DatabaseTarget(db.Name, db.Labels));
            if (!summary.Visible)
            {
                continue;
            }
            response.Databases.Add(db with { DbUsers = [.. summary.DbUsers], DbNames = [.. summary.DbNames] });
        }
        return response;
    }
}
