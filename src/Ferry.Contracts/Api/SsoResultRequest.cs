namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/sso/result</c>: <c>{"request_id","secret"}</c>; <see cref="Secret"/> is the hex of the 32-byte secret whose
/// SHA-256 went in the login request. Answered with a <see cref="UserCertificateResponse"/>, once.
/// </summary>
public sealed class SsoResultRequest
{
    public string RequestId { get; set; } = "";

    public string Secret { get; set; } = "";
}
