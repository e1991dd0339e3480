namespace Ferry.Contracts;

/// <summary>
/// One database in the cluster's inventory. Proxies report it (from their agents' heartbeats) on
/// <c>POST /v1/inventory</c>; users list it on <c>GET /v1/databases</c>, where <see cref="DbUsers"/>
/// and <see cref="DbNames"/> hold what the caller's roles allow (templates expanded; <c>*</c> means any).
/// </summary>
public sealed class DatabaseEntry
{
    public string Name { get; set; } = "";

    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    public string Protocol { get; set; } = "";

    public string Description { get; set; } = "";

    public Dictionary<string, string> Labels { get; set; } = [];

    public List<string>? DbUsers { get; set; }

    public List<string>? DbNames { get; set; }

    /// <summary>The server version the agent last saw, when known.</summary>
    public string? ServerVersion { get; set; }

    public bool Healthy { get; set; } = true;

    public string? HealthError { get; set; }

    /// <summary>How many agent tunnels serve it.</summary>
    public int Agents { get; set; }
}
