namespace Ferry.Contracts;

/// <summary>Answer of <c>/v1/db-certs</c>: <c>{"certificate_pem","db_client_ca_pem","expires"}</c>. CN = the db user.</summary>
public sealed class DbCertificateResponse
{
    public string CertificatePem { get; set; } = "";

    public string DbClientCaPem { get; set; } = "";

    public DateTimeOffset Expires { get; set; }
}
