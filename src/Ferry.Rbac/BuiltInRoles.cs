namespace Ferry.Rbac;

/// <summary>Roles that exist without being applied.</summary>
public static class BuiltInRoles
{
    /// <summary>Name of the built-in administrator role.</summary>
    public const string AdminName = "admin";

    /// <summary>The <c>admin</c> role as YAML.</summary>
    public const string AdminYaml = """
        kind: role
        version: v1
        name: admin
        description: "Built-in: every database, db user and db name; may search the audit log and review every access request."
        options:
          max_session_ttl: 12h
          require_session_mfa: false
          audit_search: true
        allow:
          db_labels: { "*": "*" }
          db_names: ["*"]
          db_users: ["*"]
          review_requests:
            roles: ["*"]
        """;

    /// <summary>The built-in <c>admin</c> role: all labels, all db users and names, audit search.</summary>
    public static RoleDocument Admin { get; } = RoleYaml.ParseSingle(AdminYaml, "builtin:admin");

    /// <summary>True when <paramref name="name"/> is a built-in role that cannot be replaced or removed.</summary>
    public static bool IsBuiltIn(string name) => name == AdminName;
}
