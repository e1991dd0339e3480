namespace Ferry.Contracts;

/// <summary>A join token as listed (the secret is shown only once, at creation, in <see cref="Token"/>).</summary>
public sealed class JoinTokenInfo
{
    /// <summary>First 16 hex digits of SHA-256(token): names the token in <c>tokens ls|rm</c>.</summary>
    public string Id { get; set; } = "";

    public string Role { get; set; } = "";

    public bool MultiUse { get; set; }

    public int Uses { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public string? Token { get; set; }
}
