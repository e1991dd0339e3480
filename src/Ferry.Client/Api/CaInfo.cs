namespace Ferry.Client.Api;

/// <summary><c>GET /v1/ca</c>: <c>{"cluster","user_ca_pem","host_ca_pem","db_client_ca_pem"}</c>.</summary>
public sealed class CaInfo
{
    public string Cluster { get; set; } = "";

    public string UserCaPem { get; set; } = "";

    public string HostCaPem { get; set; } = "";
}
