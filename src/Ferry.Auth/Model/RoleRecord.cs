namespace Ferry.Auth.Model;

/// <summary>A role as stored under <c>/roles/NAME</c>: its canonical YAML.</summary>
internal sealed class RoleRecord
{
    public string Name { get; set; } = "";

    public string Yaml { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }
}
