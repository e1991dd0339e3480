namespace Ferry.Wire.MySql;

/// <summary>
/// What a <see cref="MySqlWireClient"/> logs in with. No password: an empty auth response (a certificate login, or Ferry,
/// whose certificate is the credential); a password: mysql_native_password or the caching_sha2_password fast path
/// (full authentication only over TLS).
/// </summary>
public sealed record MySqlStartup(string User, string Database)
{
    public string? Password { get; init; }
}
