using System.Text.Json.Serialization;

namespace Ferry.Contracts;

/// <summary>
/// One database of the cluster's inventory, the same record all the way: an agent announces it in its
/// heartbeat, a proxy reports it (with <see cref="Agents"/>) on <c>POST /v1/inventory</c>, and users list it
/// on <c>GET /v1/databases</c>, where <see cref="DbUsers"/> and <see cref="DbNames"/> hold what the caller's
/// roles allow (templates expanded; <c>*</c> means any). Fields left null are not written.
/// </summary>
/// <remarks>
/// Properties with a default have <c>set</c>, not <c>init</c>: for a record with <c>required</c> members the
/// source-generated reader sets every init-only property in one object initializer, so one absent from the JSON got
/// its type's default (a null <c>labels</c>, <c>healthy: false</c>) instead of the default written here.
/// </remarks>
public sealed record DatabaseEntry
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary><c>postgres</c> or <c>mysql</c>.</summary>
    [JsonPropertyName("protocol")]
    public string Protocol { get; set; } = "";

    [JsonPropertyName("description")]
    public string Description { get; set; } = "";

    [JsonPropertyName("labels")]
    public Dictionary<string, string> Labels { get; set; } = [];

    [JsonPropertyName("db_users")]
    public List<string>? DbUsers { get; init; }

    [JsonPropertyName("db_names")]
    public List<string>? DbNames { get; init; }

    /// <summary>
    /// The server version last seen (MySQL greets with it; the proxy advertises it). A heartbeat always
    /// carries it (empty when unknown); the inventory leaves it out when unknown.
    /// </summary>
    [JsonPropertyName("server_version")]
    public string? ServerVersion { get; init; }

    /// <summary>The MySQL server's default collation id from its greeting (the proxy greets with it); absent when unknown.</summary>
    [JsonPropertyName("collation")]
    public int? Collation { get; init; }

    [JsonPropertyName("healthy")]
    public bool Healthy { get; set; } = true;

    [JsonPropertyName("health_error")]
    public string? HealthError { get; init; }

    /// <summary>How many agent tunnels serve it: set by the proxy's inventory, absent from a heartbeat.</summary>
    [JsonPropertyName("agents")]
    public int? Agents { get; init; }
}
