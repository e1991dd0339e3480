using System.Text.Json.Serialization;

namespace Ferry.Contracts;

/// <summary>What an agent tells each proxy every few seconds: who it is and which databases it serves.</summary>
public sealed record AgentHeartbeat
{
    [JsonPropertyName("agent_id")]
    public required string AgentId { get; init; }

    [JsonPropertyName("version")]
    public string Version { get; init; } = "";

    [JsonPropertyName("databases")]
    public IReadOnlyList<DatabaseInfo> Databases { get; init; } = [];
}

public sealed record DatabaseInfo
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("protocol")]
    public required string Protocol { get; init; }

    [JsonPropertyName("description")]
    public string Description { get; init; } = "";

    [JsonPropertyName("labels")]
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The server version last seen (MySQL greets with it; the proxy advertises it).</summary>
    [JsonPropertyName("server_version")]
    public string ServerVersion { get; init; } = "";

    [JsonPropertyName("healthy")]
    public bool Healthy { get; init; } = true;

    [JsonPropertyName("health_error")]
    public string? HealthError { get; init; }
}

[JsonSerializable(typeof(AgentHeartbeat))]
[JsonSerializable(typeof(DatabaseInfo))]
[JsonSerializable(typeof(List<DatabaseInfo>))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class TransportJsonContext : JsonSerializerContext;
