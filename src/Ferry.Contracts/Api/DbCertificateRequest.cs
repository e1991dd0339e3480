namespace Ferry.Contracts;

/// <summary><c>POST /v1/db-certs</c> (agent host certificate): <c>{"database","db_user","public_key_pem"}</c>.</summary>
public sealed class DbCertificateRequest
{
    public string Database { get; set; } = "";

    public string DbUser { get; set; } = "";

    public string PublicKeyPem { get; set; } = "";
}
