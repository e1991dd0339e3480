namespace Ferry.Rbac;

/// <summary>
/// Decides what one user may reach, given their roles (resolved documents) and traits.
/// Build one per user/session; it expands trait templates once and is immutable, so it is safe to share.
/// <para>Rules: a role <b>allows</b> (database, db user, db name) when its <c>allow.db_labels</c> match the
/// database and, in that same role, <c>allow.db_users</c> matches the db user and <c>allow.db_names</c> the
/// db name. Each deny field acts on its own: <c>deny.db_labels</c> hides and denies the whole database,
/// <c>deny.db_users</c> / <c>deny.db_names</c> deny those values on every database. Deny wins over allow.
/// An empty db name (MySQL without a default schema) skips the db name check.</para>
/// </summary>
public sealed class RbacEvaluator
{
    private readonly ExpandedRole[] _roles;
    private readonly HashSet<string> _resourceNames;
    private readonly HashSet<string>? _limitedRoles;

    public RbacEvaluator(IReadOnlyList<RoleDocument> roles, IReadOnlyDictionary<string, IReadOnlyList<string>> traits)
        : this(roles, traits, [], null)
    {
    }

    /// <summary>
    /// An evaluator whose roles are limited to resources (<c>UserIdentity.ResourceIds</c>, <c>db/NAME</c>, from an
    /// approved access request for resources): when <paramref name="resourceIds"/> is not empty, the roles in
    /// <paramref name="limitedRoles"/> (null: every role) allow nothing on a database outside it (their denies still
    /// apply everywhere). An empty <paramref name="resourceIds"/> limits nothing.
    /// </summary>
    public RbacEvaluator(IReadOnlyList<RoleDocument> roles, IReadOnlyDictionary<string, IReadOnlyList<string>> traits, IReadOnlyCollection<string> resourceIds, IReadOnlyCollection<string>? limitedRoles)
    {
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(traits);
        ArgumentNullException.ThrowIfNull(resourceIds);
        _roles = roles.Select(r => ExpandedRole.Create(r, traits)).ToArray();
        _resourceNames = resourceIds.Where(r => r.StartsWith(DatabaseResourcePrefix, StringComparison.Ordinal))
            .Select(r => r[DatabaseResourcePrefix.Length..]).ToHashSet(StringComparer.Ordinal);
        ResourceIds = [.. resourceIds];
        _limitedRoles = resourceIds.Count == 0 ? null
            : limitedRoles is null ? _roles.Select(r => r.Name).ToHashSet(StringComparer.Ordinal)
            : limitedRoles.ToHashSet(StringComparer.Ordinal);
        RoleNames = roles.Select(r => r.Name).ToArray();
        MaxSessionTtl = roles.Count == 0
            ? RoleOptions.DefaultMaxSessionTtl
            : roles.Min(r => r.Options.EffectiveMaxSessionTtl);
        RequireSessionMfa = roles.Any(r => r.Options.RequireSessionMfa);
        AuditSearch = roles.Any(r => r.Options.AuditSearch);
        MaxSessions = roles.Select(r => r.Options.MaxSessions).Where(m => m is not null).Min();
        MaxQueryRows = roles.Select(r => r.Options.MaxQueryRows).Where(m => m is not null).Min();
        MaxQueryBytes = roles.Select(r => r.Options.MaxQueryBytes).Where(m => m is not null).Min();
        StatementTimeout = roles.Select(r => r.Options.StatementTimeout).Where(m => m is not null).Min();
        IdleTimeout = roles.Select(r => r.Options.IdleTimeout).Where(m => m is not null).Min();
        ReadOnly = roles.Any(r => r.Options.ReadOnly);
        Egress = CombineEgress(roles);
    }

    /// <summary>The smallest <c>max_query_rows</c> of the roles; null when no role sets one.</summary>
    public long? MaxQueryRows { get; }

    /// <summary>The smallest <c>max_query_bytes</c> of the roles; null when no role sets one.</summary>
    public long? MaxQueryBytes { get; }

    /// <summary>The shortest <c>statement_timeout</c> of the roles; null when no role sets one.</summary>
    public TimeSpan? StatementTimeout { get; }

    /// <summary>The shortest <c>idle_timeout</c> of the roles; null when no role sets one.</summary>
    public TimeSpan? IdleTimeout { get; }

    /// <summary>True when any role sets <c>read_only</c>.</summary>
    public bool ReadOnly { get; }

    /// <summary>
    /// The roles' <c>egress</c> budgets combined, most restrictive wins: the smallest <c>rows</c>, the smallest
    /// <c>bytes</c> and the longest <c>per</c> window; null when no role sets one.
    /// </summary>
    public EgressLimit? Egress { get; }

    private static EgressLimit? CombineEgress(IReadOnlyList<RoleDocument> roles)
    {
        EgressLimit? combined = null;
        foreach (var role in roles)
        {
            if (role.Options.Egress is not { } e)
            {
                continue;
            }

            combined = combined is null
                ? e
                : new EgressLimit(MinOf(combined.Rows, e.Rows), MinOf(combined.Bytes, e.Bytes), combined.Per > e.Per ? combined.Per : e.Per);
        }

        return combined;
    }

    private static long? MinOf(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    /// <summary>Prefix of a database resource id: <c>db/NAME</c>.</summary>
    public const string DatabaseResourcePrefix = "db/";

    /// <summary>The resources the limited roles are kept to (empty: no limit).</summary>
    public IReadOnlyList<string> ResourceIds { get; }

    /// <summary>The roles that may allow access to <paramref name="db"/>: all, less those limited to other resources.</summary>
    private ExpandedRole[] AllowingRoles(DatabaseTarget db) =>
        _limitedRoles is null || _resourceNames.Contains(db.Name)
            ? _roles
            : _roles.Where(r => !_limitedRoles.Contains(r.Name)).ToArray();

    /// <summary>The smallest <c>max_sessions</c> of the roles (sessions per database at once); null when no role sets one.</summary>
    public int? MaxSessions { get; }

    /// <summary>Names of the roles, in the order given.</summary>
    public IReadOnlyList<string> RoleNames { get; }

    /// <summary>The smallest <c>max_session_ttl</c> of the roles: the cap on any certificate issued.</summary>
    public TimeSpan MaxSessionTtl { get; }

    /// <summary>True when any role requires MFA-verified sessions.</summary>
    public bool RequireSessionMfa { get; }

    /// <summary>
    /// Whether a session to <paramref name="db"/> as <paramref name="dbUser"/> (opening <paramref name="dbName"/>, or
    /// any when empty) needs an MFA-verified certificate: true when one of the roles that grant it (allow labels,
    /// db user and db name all matching in that role) sets <c>require_session_mfa</c>.
    /// </summary>
    public bool RequiresSessionMfa(DatabaseTarget db, string dbUser, string dbName)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(dbUser);
        dbName ??= "";
        foreach (var role in AllowingRoles(db))
        {
            if (role.Options.RequireSessionMfa && Grants(role, db, dbUser, dbName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The <c>session_mfa_window</c> for a route: the smallest window among the roles that grant it and require MFA
    /// (the default when none sets one).
    /// </summary>
    public TimeSpan SessionMfaWindow(DatabaseTarget db, string dbUser, string dbName)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(dbUser);
        dbName ??= "";
        var window = RoleOptions.MaxSessionMfaWindow;
        var any = false;
        foreach (var role in AllowingRoles(db))
        {
            if (role.Options.RequireSessionMfa && Grants(role, db, dbUser, dbName))
            {
                any = true;
                window = role.Options.EffectiveSessionMfaWindow < window ? role.Options.EffectiveSessionMfaWindow : window;
            }
        }

        return any ? window : RoleOptions.DefaultSessionMfaWindow;
    }

    private static bool Grants(ExpandedRole role, DatabaseTarget db, string dbUser, string dbName) =>
        role.Allow.MatchLabels(db, out _)
        && ExpandedConditions.MatchAny(role.Allow.Users, dbUser)
        && (dbName.Length == 0 || ExpandedConditions.MatchAny(role.Allow.Names, dbName));

    /// <summary>True when any role grants audit search.</summary>
    public bool AuditSearch { get; }

    /// <summary>Checks a connection to <paramref name="db"/> as <paramref name="dbUser"/> opening <paramref name="dbName"/>.</summary>
    public AccessDecision Check(DatabaseTarget db, string dbUser, string dbName)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(dbUser);
        dbName ??= "";
        if (FindDenyLabels(db) is { } labelDeny)
        {
            return labelDeny;
        }

        foreach (var role in _roles)
        {
            if (ExpandedConditions.MatchAny(role.Deny.Users, dbUser))
            {
                return AccessDecision.Deny($"role \"{role.Name}\" deny db_users {dbUser}", role.Name);
            }

            if (dbName.Length > 0 && ExpandedConditions.MatchAny(role.Deny.Names, dbName))
            {
                return AccessDecision.Deny($"role \"{role.Name}\" deny db_names {dbName}", role.Name);
            }
        }

        var candidates = AllowingRoles(db).Where(r => r.Allow.MatchLabels(db, out _)).ToArray();
        if (candidates.Length == 0)
        {
            return AccessDecision.Deny(NoRoleForDatabase(db));
        }

        foreach (var role in candidates)
        {
            if (ExpandedConditions.MatchAny(role.Allow.Users, dbUser)
                && (dbName.Length == 0 || ExpandedConditions.MatchAny(role.Allow.Names, dbName)))
            {
                var what = dbName.Length == 0 ? $"db user \"{dbUser}\"" : $"db user \"{dbUser}\" and db name \"{dbName}\"";
                return AccessDecision.Allow(role.Name, $"role \"{role.Name}\" allows {what} on \"{db.Name}\"");
            }
        }

        if (!candidates.Any(r => ExpandedConditions.MatchAny(r.Allow.Users, dbUser)))
        {
            return AccessDecision.Deny($"no role allows db user \"{dbUser}\" (allowed: {Allowed(candidates.SelectMany(r => r.Allow.Users))})");
        }

        if (!candidates.Any(r => ExpandedConditions.MatchAny(r.Allow.Names, dbName)))
        {
            return AccessDecision.Deny($"no role allows db name \"{dbName}\" (allowed: {Allowed(candidates.SelectMany(r => r.Allow.Names))})");
        }

        return AccessDecision.Deny($"no single role allows db user \"{dbUser}\" together with db name \"{dbName}\"");
    }

    /// <summary>
    /// Whether <paramref name="dbUser"/> may run MySQL replication commands on <paramref name="db"/>: one single role
    /// must allow the database and the db user (as in <see cref="Check"/> without a db name) and set
    /// <c>options.mysql_replication: true</c>. Denies win as in <see cref="Check"/>.
    /// </summary>
    public AccessDecision CheckMySqlReplication(DatabaseTarget db, string dbUser)
    {
        var access = Check(db, dbUser, "");
        if (!access.Allowed)
        {
            return access;
        }

        foreach (var role in AllowingRoles(db))
        {
            if (role.Options.MySqlReplication && role.Allow.MatchLabels(db, out _) && ExpandedConditions.MatchAny(role.Allow.Users, dbUser))
            {
                return AccessDecision.Allow(role.Name, $"role \"{role.Name}\" allows mysql_replication for db user \"{dbUser}\" on \"{db.Name}\"");
            }
        }

        return AccessDecision.Deny($"no role allowing db user \"{dbUser}\" on \"{db.Name}\" sets options.mysql_replication: true");
    }

    /// <summary>Whether the user can see (list) the database: labels only.</summary>
    public AccessDecision CanSee(DatabaseTarget db)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (FindDenyLabels(db) is { } deny)
        {
            return deny;
        }

        foreach (var role in AllowingRoles(db))
        {
            if (role.Allow.MatchLabels(db, out var matched))
            {
                return AccessDecision.Allow(role.Name, $"role \"{role.Name}\" allows db_labels {matched}");
            }
        }

        return AccessDecision.Deny(NoRoleForDatabase(db));
    }

    /// <summary>The db users and db names allowed on <paramref name="db"/>, for listings.</summary>
    public DbAccessSummary Summarize(DatabaseTarget db)
    {
        if (!CanSee(db).Allowed)
        {
            return new DbAccessSummary(false, [], []);
        }

        var candidates = AllowingRoles(db).Where(r => r.Allow.MatchLabels(db, out _)).ToArray();
        return new DbAccessSummary(
            true,
            Subtract(candidates.SelectMany(r => r.Allow.Users), _roles.SelectMany(r => r.Deny.Users)),
            Subtract(candidates.SelectMany(r => r.Allow.Names), _roles.SelectMany(r => r.Deny.Names)));
    }

    private AccessDecision? FindDenyLabels(DatabaseTarget db)
    {
        foreach (var role in _roles)
        {
            if (role.Deny.MatchLabels(db, out var matched))
            {
                return AccessDecision.Deny($"role \"{role.Name}\" deny db_labels {matched}", role.Name);
            }
        }

        return null;
    }

    private string NoRoleForDatabase(DatabaseTarget db)
    {
        var labels = db.Labels.Count == 0
            ? "no labels"
            : "labels " + string.Join(", ", db.Labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
        var text = $"no role allows database \"{db.Name}\" ({labels})";
        if (_limitedRoles is not null && !_resourceNames.Contains(db.Name)
            && _roles.FirstOrDefault(r => _limitedRoles.Contains(r.Name) && r.Allow.MatchLabels(db, out _)) is { } limited)
        {
            text += $"; role \"{limited.Name}\" comes from an access request limited to {string.Join(", ", ResourceIds)}";
        }

        return text;
    }

    private static string Allowed(IEnumerable<string> values)
    {
        var list = values.Distinct(StringComparer.Ordinal).ToArray();
        return list.Length == 0 ? "none" : string.Join(", ", list);
    }

    private static string[] Subtract(IEnumerable<string> allowed, IEnumerable<string> denied)
    {
        var deny = denied.ToHashSet(StringComparer.Ordinal);
        if (deny.Contains("*"))
        {
            return [];
        }

        return allowed.Distinct(StringComparer.Ordinal)
            .Where(a => !deny.Contains(a) && !deny.Any(d => d.Contains('*', StringComparison.Ordinal) && Glob.IsMatch(d, a)))
            .ToArray();
    }
}
