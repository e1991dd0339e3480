namespace Ferry.Contracts;

/// <summary>
/// Answer of <c>POST /v1/login</c> and <c>POST /v1/certs/user</c>:
/// <c>{"certificate_pem","user_ca_pem","host_ca_pem","expires"}</c>. The CA PEMs hold every trusted key (rotation).
/// </summary>
public sealed class UserCertificateResponse
{
    public string CertificatePem { get; set; } = "";

    public string UserCaPem { get; set; } = "";

    public string HostCaPem { get; set; } = "";

    public DateTimeOffset Expires { get; set; }
}
