using System.Text.Json.Serialization;

namespace Ferry.Auth.Admin;

/// <summary>JSON for the few ad-hoc admin outputs.</summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
