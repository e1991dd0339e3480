namespace Ferry.Contracts;

/// <summary>
/// Answer of <c>/v1/join</c> and <c>/v1/hosts/renew</c>:
/// <c>{"certificate_pem","host_ca_pem","user_ca_pem","db_client_ca_pem","expires"}</c>.
/// </summary>
public sealed class HostCertificateResponse
{
    public string CertificatePem { get; set; } = "";

    public string HostCaPem { get; set; } = "";

    public string UserCaPem { get; set; } = "";

    public string DbClientCaPem { get; set; } = "";

    public DateTimeOffset Expires { get; set; }
}
