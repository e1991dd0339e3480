using System.Text.Json.Serialization;
using Ferry.Contracts;

namespace Ferry.Auth.Model;

/// <summary>Source-generated JSON for backend values.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UserRecord))]
[JsonSerializable(typeof(TotpUse))]
[JsonSerializable(typeof(MfaDeviceRecord))]
[JsonSerializable(typeof(MfaGrantRecord))]
[JsonSerializable(typeof(RoleRecord))]
[JsonSerializable(typeof(JoinTokenRecord))]
[JsonSerializable(typeof(HostRecord))]
[JsonSerializable(typeof(DatabaseBinding))]
[JsonSerializable(typeof(LockInfo))]
[JsonSerializable(typeof(SsoConnectorRecord))]
[JsonSerializable(typeof(AccessRequestRecord))]
[JsonSerializable(typeof(EgressUsageRecord))]
[JsonSerializable(typeof(SsoPendingRecord))]
[JsonSerializable(typeof(Ferry.Auth.Notifications.WebhookPayload))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
