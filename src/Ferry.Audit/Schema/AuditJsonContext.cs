using System.Text.Json.Serialization;

namespace Ferry.Audit;

/// <summary>Source-generated JSON for audit events: snake_case names, nulls omitted, compact.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false)]
[JsonSerializable(typeof(AuditEvent))]
[JsonSerializable(typeof(List<AuditEvent>))]
[JsonSerializable(typeof(SessionPlaybackView))]
public sealed partial class AuditJsonContext : JsonSerializerContext;
