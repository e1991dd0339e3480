namespace Ferry.Contracts;

/// <summary>Answer to <c>POST /v1/sso/{connector}/login</c>: where to send the browser, and the id of the pending login.</summary>
public sealed class SsoLoginResponse
{
    /// <summary>The identity provider's authorization URL (with PKCE, state and nonce) to open in the browser.</summary>
    public string AuthUrl { get; set; } = "";

    public string RequestId { get; set; } = "";

    /// <summary>When the pending login stops being accepted.</summary>
    public DateTimeOffset Expires { get; set; }
}
