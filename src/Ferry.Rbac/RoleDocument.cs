namespace Ferry.Rbac;

/// <summary>
/// One role as written in YAML (<c>kind: role</c>). Templates such as <c>{{internal.db_users}}</c>
/// are kept unexpanded; <see cref="RbacEvaluator"/> expands them against a user's traits.
/// </summary>
public sealed record RoleDocument(string Name, RoleOptions Options, RoleConditions Allow, RoleConditions Deny)
{
    /// <summary>An optional free-form description.</summary>
    public string? Description { get; init; }
}
