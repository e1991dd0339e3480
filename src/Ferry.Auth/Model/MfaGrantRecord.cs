namespace Ferry.Auth.Model;

/// <summary>
/// An MFA grant (<c>/mfa-grants/SHA256-OF-TOKEN</c>, expiring with its window): lets the holder of the key and the
/// login of <see cref="User"/> obtain new session-MFA certificates for one route without a new code.
/// </summary>
internal sealed class MfaGrantRecord
{
    public string User { get; set; } = "";

    public string Service { get; set; } = "";

    public string Protocol { get; set; } = "";

    public string DbUser { get; set; } = "";

    public string DbName { get; set; } = "";

    /// <summary>SHA-256 (hex) of the client's SubjectPublicKeyInfo.</summary>
    public string KeySha256 { get; set; } = "";

    public DateTimeOffset Expires { get; set; }
}
