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
    public IReadOnlyList<DatabaseEntry> Databases { get; init; } = [];
}

[JsonSerializable(typeof(AgentHeartbeat))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class TransportJsonContext : JsonSerializerContext;
