namespace Ferry.Auth.Model;

/// <summary>A local user as stored under <c>/users/NAME</c>. Secrets stay inside the auth service.</summary>
internal sealed class UserRecord
{
    public string Name { get; set; } = "";

    public List<string> Roles { get; set; } = [];

    public Dictionary<string, List<string>> Traits { get; set; } = [];

    /// <summary>Argon2id PHC string (see <c>PasswordHasher</c>).</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>TOTP secret, base32.</summary>
    public string TotpSecret { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
