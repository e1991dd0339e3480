namespace Ferry.Contracts;

/// <summary><c>POST /v1/certs/user</c> (user certificate required): <c>{"public_key_pem","route"?,"ttl_seconds"?}</c>.</summary>
public sealed class UserCertificateRequest
{
    public string PublicKeyPem { get; set; } = "";

    public RouteRequest? Route { get; set; }

    /// <summary>Requested lifetime; never beyond the presented certificate's remaining lifetime nor the roles' cap.</summary>
    public long? TtlSeconds { get; set; }
}
