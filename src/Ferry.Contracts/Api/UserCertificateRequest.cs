namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/certs/user</c> (user certificate required): <c>{"public_key_pem","route"?,"ttl_seconds"?,"otp"?,
/// "mfa_grant"?,"request_mfa_grant"?}</c>. A route whose roles require session MFA needs <c>otp</c> (a fresh TOTP code)
/// or <c>mfa_grant</c> (from an earlier check, same key and route); without either the answer is
/// <see cref="SessionMfa.RequiredStatus"/>.
/// </summary>
public sealed class UserCertificateRequest
{
    public string PublicKeyPem { get; set; } = "";

    public RouteRequest? Route { get; set; }

    /// <summary>Requested lifetime; never beyond the presented certificate's remaining lifetime nor the roles' cap.</summary>
    public long? TtlSeconds { get; set; }

    /// <summary>A TOTP code for session MFA (the login's device or one added with <c>ferry mfa add</c>).</summary>
    public string? Otp { get; set; }

    /// <summary>A grant an earlier session MFA check returned: a new session-MFA certificate without a new code, within its window.</summary>
    public string? MfaGrant { get; set; }

    /// <summary>With <see cref="Otp"/>: also return a grant for the role's <c>session_mfa_window</c> (<c>ferry proxy db</c>).</summary>
    public bool? RequestMfaGrant { get; set; }

    /// <summary>
    /// Approved access requests of the caller to add (<c>ferry login --request-id</c>): the certificate gains their roles
    /// (limited to their resources), names them, and ends no later than the earliest grant's end. Requests the presented
    /// certificate already names are re-checked on every issue (a dropped or expired one is refused).
    /// </summary>
    public List<string>? AccessRequestIds { get; set; }
}
