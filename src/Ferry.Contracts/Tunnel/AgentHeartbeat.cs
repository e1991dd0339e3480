using System.Text.Json.Serialization;

namespace Ferry.Contracts;

/// <summary>What an agent tells each proxy every few seconds: who it is and which databases it serves.</summary>
/// <remarks>Defaulted properties have <c>set</c> so that an absent one keeps its default (see <see cref="DatabaseEntry"/>).</remarks>
public sealed record AgentHeartbeat
{
    [JsonPropertyName("agent_id")]
    public required string AgentId { get; init; }

    [JsonPropertyName("version")]
    public string Version { get; set; } = "";

    [JsonPropertyName("databases")]
    public IReadOnlyList<DatabaseEntry> Databases { get; set; } = [];
}

/// <summary>
/// Heartbeat JSON. As in the API (<see cref="AuthApiJsonContext"/>), a <c>null</c> where the contract has a value is
/// refused on reading: a non-nullable property, an entry of a list of strings, a value of the labels map.
/// </summary>
[JsonSerializable(typeof(AgentHeartbeat))]
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    Converters = [typeof(NoNullStringListConverter), typeof(NoNullStringMapConverter)])]
public sealed partial class TransportJsonContext : JsonSerializerContext;
