namespace Ferry.Rbac;

/// <summary>A role with its trait templates expanded for one user.</summary>
internal sealed class ExpandedRole
{
    private ExpandedRole(string name, RoleOptions options, ExpandedConditions allow, ExpandedConditions deny)
    {
        Name = name;
        Options = options;
        Allow = allow;
        Deny = deny;
    }

    public string Name { get; }

    public RoleOptions Options { get; }

    public ExpandedConditions Allow { get; }

    public ExpandedConditions Deny { get; }

    public static ExpandedRole Create(RoleDocument role, IReadOnlyDictionary<string, IReadOnlyList<string>> traits) =>
        new(role.Name, role.Options, ExpandedConditions.Create(role.Allow, traits), ExpandedConditions.Create(role.Deny, traits));
}
