namespace Ferry.Contracts;

/// <summary>A role on the wire: <c>{"name","yaml","built_in"}</c>. Parse <see cref="Yaml"/> with <c>Ferry.Rbac.RoleYaml.ParseSingle</c>.</summary>
public sealed class RoleInfo
{
    public string Name { get; set; } = "";

    public string Yaml { get; set; } = "";

    public bool BuiltIn { get; set; }
}
