namespace Ferry.Auth.Model;

/// <summary>An SSO connector stored with <c>ferryd admin sso add -f</c>: its YAML, re-read with the same checks as <c>auth.sso</c>.</summary>
public sealed class SsoConnectorRecord
{
    public string Name { get; set; } = "";

    public string Yaml { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
