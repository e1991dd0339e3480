namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/sso/{connector}/login</c>: <c>{"public_key_pem","redirect_url","secret_sha256","ttl_seconds"?,"route"?,"request_mfa_grant"?}</c>.
/// <see cref="RedirectUrl"/> is the client's loopback listener (<c>http://127.0.0.1:PORT/…</c>, <c>http://[::1]:PORT/…</c>
/// or <c>http://localhost:PORT/…</c>); <see cref="SecretSha256"/> is the lower-case hex SHA-256 of a 32-byte random
/// secret the client keeps in memory and later sends to <c>POST /v1/sso/result</c>.
/// </summary>
public sealed class SsoLoginRequest
{
    /// <summary>PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or "CERTIFICATE REQUEST" of a key made on the client.</summary>
    public string PublicKeyPem { get; set; } = "";

    public string RedirectUrl { get; set; } = "";

    public string SecretSha256 { get; set; } = "";

    /// <summary>Requested lifetime; capped by the roles' max_session_ttl. Default: the cap.</summary>
    public long? TtlSeconds { get; set; }

    /// <summary>Asks for a certificate routed to one database (same shape as in <c>POST /v1/certs/user</c>).</summary>
    public RouteRequest? Route { get; set; }

    /// <summary>
    /// With <see cref="Route"/> and a connector that trusts the provider's MFA: also answer an MFA grant (as
    /// <see cref="UserCertificateRequest.RequestMfaGrant"/> does after a TOTP check), bound to the user, the route and
    /// this key, with which <c>POST /v1/certs/user</c> issues the next session-MFA certificates until the role's
    /// <c>session_mfa_window</c> ends (<c>ferry proxy db</c>).
    /// </summary>
    public bool? RequestMfaGrant { get; set; }
}
