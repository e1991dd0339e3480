namespace Ferry.Contracts;

/// <summary><c>POST /v1/login</c>: <c>{"user","password","otp","public_key_pem","ttl_seconds"?}</c>.</summary>
public sealed class LoginRequest
{
    public string User { get; set; } = "";

    public string Password { get; set; } = "";

    public string Otp { get; set; } = "";

    /// <summary>PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or "CERTIFICATE REQUEST" of a key made on the client.</summary>
    public string PublicKeyPem { get; set; } = "";

    /// <summary>Requested lifetime; capped by the roles' max_session_ttl. Default: the cap.</summary>
    public long? TtlSeconds { get; set; }
}
