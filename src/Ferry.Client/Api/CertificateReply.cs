namespace Ferry.Client.Api;

/// <summary>Answer of login and certificate requests: <c>{"certificate_pem","user_ca_pem","host_ca_pem","expires"}</c>.</summary>
public sealed class CertificateReply
{
    public string CertificatePem { get; set; } = "";

    public string UserCaPem { get; set; } = "";

    public string HostCaPem { get; set; } = "";

    public DateTimeOffset Expires { get; set; }
}
