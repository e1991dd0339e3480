namespace Ferry.Client.Api;

/// <summary><c>POST /v1/certs/user</c>: <c>{"public_key_pem","route"?,"ttl_seconds"?}</c>.</summary>
internal sealed class CertificateBody
{
    public string PublicKeyPem { get; set; } = "";

    public RouteBody? Route { get; set; }

    public long? TtlSeconds { get; set; }
}
