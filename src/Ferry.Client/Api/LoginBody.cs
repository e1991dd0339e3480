namespace Ferry.Client.Api;

/// <summary><c>POST /v1/login</c>: <c>{"user","password","otp","public_key_pem","ttl_seconds"?}</c>.</summary>
internal sealed class LoginBody
{
    public string User { get; set; } = "";

    public string Password { get; set; } = "";

    public string Otp { get; set; } = "";

    public string PublicKeyPem { get; set; } = "";

    public long? TtlSeconds { get; set; }
}
