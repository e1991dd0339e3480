using System.Text.Json.Serialization;

namespace Ferry.Contracts;

/// <summary>Source-generated JSON for every API payload (snake_case, nulls omitted). Clients, proxies and agents use it too.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(UserCertificateRequest))]
[JsonSerializable(typeof(UserCertificateResponse))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(HostRenewRequest))]
[JsonSerializable(typeof(HostCertificateResponse))]
[JsonSerializable(typeof(DbCertificateRequest))]
[JsonSerializable(typeof(DbCertificateResponse))]
[JsonSerializable(typeof(RolesResponse))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(List<UserInfo>))]
[JsonSerializable(typeof(LockInfo))]
[JsonSerializable(typeof(LocksResponse))]
[JsonSerializable(typeof(LockWatchEvent))]
[JsonSerializable(typeof(CaResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(AuditUploadResponse))]
[JsonSerializable(typeof(JoinTokenInfo))]
[JsonSerializable(typeof(List<JoinTokenInfo>))]
[JsonSerializable(typeof(List<LockInfo>))]
[JsonSerializable(typeof(List<RoleInfo>))]
[JsonSerializable(typeof(DatabasesResponse))]
[JsonSerializable(typeof(InventoryReport))]
[JsonSerializable(typeof(AgentDatabasesReport))]
[JsonSerializable(typeof(AgentDatabasesResponse))]
[JsonSerializable(typeof(HostInfo))]
[JsonSerializable(typeof(List<HostInfo>))]
[JsonSerializable(typeof(SsoConnectorInfo))]
[JsonSerializable(typeof(List<SsoConnectorInfo>))]
[JsonSerializable(typeof(SsoLoginRequest))]
[JsonSerializable(typeof(SsoLoginResponse))]
[JsonSerializable(typeof(SsoResultRequest))]
[JsonSerializable(typeof(MfaDeviceRequest))]
[JsonSerializable(typeof(MfaDeviceEnrolment))]
[JsonSerializable(typeof(MfaDevicesResponse))]
public sealed partial class AuthApiJsonContext : JsonSerializerContext;
