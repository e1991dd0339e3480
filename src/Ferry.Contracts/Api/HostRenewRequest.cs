namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/hosts/renew</c> (host certificate required): <c>{"public_key_pem","dns_names"?,"ips"?}</c>. Host id and
/// role come from the presented certificate; names default to none when omitted.
/// </summary>
public sealed class HostRenewRequest
{
    public string PublicKeyPem { get; set; } = "";

    public List<string>? DnsNames { get; set; }

    public List<string>? Ips { get; set; }
}
