namespace Ferry.Contracts;

/// <summary><c>POST /v1/join</c> (public): <c>{"token","host_id","role","public_key_pem","dns_names","ips"}</c>; role is <c>proxy</c> or <c>agent</c>.</summary>
public sealed class JoinRequest
{
    public string Token { get; set; } = "";

    public string HostId { get; set; } = "";

    public string Role { get; set; } = "";

    public string PublicKeyPem { get; set; } = "";

    public List<string> DnsNames { get; set; } = [];

    public List<string> Ips { get; set; } = [];
}
