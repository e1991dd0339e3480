namespace Ferry.Auth.Model;

/// <summary>
/// A join token as stored under <c>/tokens/ID</c>, where ID is the hex SHA-256 of the secret: the secret itself
/// is never stored. Expires through the backend lease.
/// </summary>
internal sealed class JoinTokenRecord
{
    public string Id { get; set; } = "";

    /// <summary><c>proxy</c> or <c>agent</c>.</summary>
    public string Role { get; set; } = "";

    public bool MultiUse { get; set; }

    public int Uses { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public string? Description { get; set; }
}
