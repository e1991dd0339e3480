namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/db-certs</c> (agent host certificate): <c>{"database","db_user","db_name","user_certificate_pem","public_key_pem"}</c>.
/// The agent forwards the certificate of the user whose session needs the db-client certificate; the auth service
/// verifies it again and issues only when that user's roles allow <see cref="DbUser"/> (and <see cref="DbName"/>) on
/// <see cref="Database"/>, and only when <see cref="Database"/> is one this agent registered.
/// </summary>
public sealed class DbCertificateRequest
{
    public string Database { get; set; } = "";

    public string DbUser { get; set; } = "";

    /// <summary>The db name (PostgreSQL) or schema (MySQL) the session opens; empty for none.</summary>
    public string DbName { get; set; } = "";

    /// <summary>The session's user certificate (PEM), as the proxy forwarded it.</summary>
    public string UserCertificatePem { get; set; } = "";

    public string PublicKeyPem { get; set; } = "";

    /// <summary>
    /// Empty for a session (a user certificate must come with it); <see cref="HealthCheckPurpose"/> for the agent's health
    /// probe: no user certificate, and only for the db user the agent declared as the database's health-check user.
    /// </summary>
    public string Purpose { get; set; } = "";

    public const string HealthCheckPurpose = "health_check";
}
