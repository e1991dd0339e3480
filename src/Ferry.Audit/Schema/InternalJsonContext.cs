using System.Text.Json.Serialization;

namespace Ferry.Audit;

/// <summary>Source-generated JSON for the spool cursor, segment indexes and store checkpoints.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(SegmentIndex))]
[JsonSerializable(typeof(StoreCheckpoint))]
[JsonSerializable(typeof(SpoolCursor))]
internal sealed partial class InternalJsonContext : JsonSerializerContext;
