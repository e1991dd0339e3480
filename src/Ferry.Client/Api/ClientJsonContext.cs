using System.Text.Json.Serialization;
using Ferry.Contracts;

namespace Ferry.Client.Api;

/// <summary>The client's own files (profile, database logins) and outputs, snake_case, source-generated. API payloads use <see cref="AuthApiJsonContext"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(List<DatabaseEntry>))]
[JsonSerializable(typeof(ClientProfile))]
[JsonSerializable(typeof(Bench.BenchReport))]
[JsonSerializable(typeof(DatabaseLogin))]
[JsonSerializable(typeof(DatabaseConnectionSettings))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
