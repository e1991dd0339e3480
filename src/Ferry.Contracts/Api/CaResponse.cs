namespace Ferry.Contracts;

/// <summary><c>GET /v1/ca</c> (public): <c>{"cluster","user_ca_pem","host_ca_pem","db_client_ca_pem"}</c>; pin by fingerprint.</summary>
public sealed class CaResponse
{
    public string Cluster { get; set; } = "";

    public string UserCaPem { get; set; } = "";

    public string HostCaPem { get; set; } = "";

    public string DbClientCaPem { get; set; } = "";
}
