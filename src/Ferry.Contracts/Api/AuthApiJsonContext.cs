using System.Text.Json.Serialization;

namespace Ferry.Contracts;

/// <summary>
/// Source-generated JSON for every API payload (snake_case, nulls omitted). Clients, proxies and agents use it too.
/// A JSON <c>null</c> where the contract has a value is refused on reading (a 400 naming it, never a 500 further on):
/// a non-nullable property (<c>RespectNullableAnnotations</c>), an entry of a list of strings or a value of a map of
/// strings (the converters); entries of lists of objects are checked by the endpoints that take them.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    Converters = [typeof(NoNullStringListConverter), typeof(NoNullStringMapConverter)])]
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
[JsonSerializable(typeof(AccessRequestCreate))]
[JsonSerializable(typeof(AccessRequestReview))]
[JsonSerializable(typeof(AccessRequestDrop))]
[JsonSerializable(typeof(AccessRequestInfo))]
[JsonSerializable(typeof(AccessRequestsResponse))]
[JsonSerializable(typeof(LiveSessionsReport))]
[JsonSerializable(typeof(LiveSessionsResponse))]
[JsonSerializable(typeof(SessionEndRequest))]
[JsonSerializable(typeof(SessionEndResponse))]
[JsonSerializable(typeof(EgressReport))]
[JsonSerializable(typeof(EgressReportResponse))]
public sealed partial class AuthApiJsonContext : JsonSerializerContext;
