using System.Text.Json.Serialization;

namespace Ferry.Client.Api;

/// <summary>The client's own view of the auth API contract (snake_case), source-generated; no ASP.NET types pulled in.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(CaInfo))]
[JsonSerializable(typeof(LoginBody))]
[JsonSerializable(typeof(CertificateBody))]
[JsonSerializable(typeof(CertificateReply))]
[JsonSerializable(typeof(DatabaseList))]
[JsonSerializable(typeof(List<DatabaseInfo>))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(ClientProfile))]
[JsonSerializable(typeof(DatabaseLogin))]
[JsonSerializable(typeof(DatabaseConnectionSettings))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
