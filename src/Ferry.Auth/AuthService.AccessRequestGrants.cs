using Ferry.Rbac;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>
    /// What approved access requests add to a certificate: <see cref="Roles"/> (the user's own first), the requests
    /// named (<see cref="Ids"/>), the resources a resource request limits its roles to (<see cref="ResourceIds"/>, with
    /// <see cref="LimitedRoles"/> the roles so limited), and the earliest grant end (<see cref="Ends"/>).
    /// </summary>
    internal sealed record Elevation(
        IReadOnlyList<string> Roles,
        IReadOnlyList<string> Ids,
        IReadOnlyList<string> ResourceIds,
        IReadOnlyList<string> LimitedRoles,
        DateTimeOffset? Ends);

    /// <summary>
    /// Re-checks the requests a presented certificate names and adds the newly asked ones (each must be the user's,
    /// approved, unexpired and not locked, else 403 naming it). For a routed certificate, a resource request adds its
    /// roles only when the route's database is among its resources, so a request for db/a never opens db/b.
    /// </summary>
    internal async Task<Elevation> ElevateAsync(string user, IReadOnlyList<string> baseRoles, IReadOnlyList<string> named, IReadOnlyList<string>? asked, string? routeService, CancellationToken ct)
    {
        if (asked is { Count: > MaxAccessRequestIdsPerCertificate })
        {
            throw AuthException.BadRequest($"at most {MaxAccessRequestIdsPerCertificate} access requests per certificate");
        }

        foreach (var id in asked ?? [])
        {
            if (!IsRequestId(id))
            {
                throw AuthException.BadRequest($"access_request_ids: \"{Bounded(id ?? "")}\" is not an access request id (a UUID): see `ferry request ls`");
            }
        }

        var ids = named.Concat(asked ?? []).Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
        {
            return new Elevation(baseRoles, [], [], [], null);
        }

        var grants = await ActiveGrantsAsync(user, ids, ct).ConfigureAwait(false);
        var roles = new List<string>(baseRoles);
        var resourceIds = new List<string>();
        var limited = new List<string>();
        foreach (var grant in grants.Where(g => g.Resources.Count == 0))
        {
            roles.AddRange(grant.Roles);
        }

        var unlimited = roles.ToHashSet(StringComparer.Ordinal);
        foreach (var grant in grants.Where(g => g.Resources.Count > 0))
        {
            if (routeService is not null && !grant.Resources.Contains(RbacEvaluator.DatabaseResourcePrefix + routeService, StringComparer.Ordinal))
            {
                continue; // routed elsewhere: this request adds nothing to this certificate
            }

            roles.AddRange(grant.Roles);
            resourceIds.AddRange(routeService is null ? grant.Resources : [RbacEvaluator.DatabaseResourcePrefix + routeService]);
            limited.AddRange(grant.Roles.Where(r => !unlimited.Contains(r)));
        }

        return new Elevation(
            [.. roles.Distinct(StringComparer.Ordinal)],
            ids,
            [.. resourceIds.Distinct(StringComparer.Ordinal)],
            [.. limited.Distinct(StringComparer.Ordinal)],
            grants.Min(g => g.AccessExpires));
    }

    /// <summary>Roles that the named requests added and that their requester did not hold (for an SSO user's own roles).</summary>
    private async Task<HashSet<string>> RolesAddedByRequestsAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        var added = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in await NamedRequestsAsync(ids, ct).ConfigureAwait(false))
        {
            added.UnionWith(record.Roles.Where(r => !record.RequesterRoles.Contains(r, StringComparer.Ordinal)));
        }

        return added;
    }
}
