namespace Ferry.Client.Api;

/// <summary>One entry of <c>GET /v1/databases</c>.</summary>
public sealed class DatabaseInfo
{
    public string Name { get; set; } = "";

    public string Protocol { get; set; } = "";

    public string Description { get; set; } = "";

    public Dictionary<string, string> Labels { get; set; } = [];

    public List<string> DbUsers { get; set; } = [];

    public List<string> DbNames { get; set; } = [];

    public bool Healthy { get; set; }
}
