namespace Ferry.Config;

/// <summary>Where the auth service keeps its state.</summary>
public enum BackendKind
{
    /// <summary>The embedded default: <c>ferry.db</c> in the data directory (one auth server).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database that several auth servers share.</summary>
    Postgres,
}

/// <summary>
/// <c>auth.backend</c>: <c>{ type: sqlite }</c> (default) or <c>{ type: postgres, conn_string: "Host=…;Database=…;…" }</c>.
/// Keep passwords out of the file: Npgsql reads <c>PGPASSWORD</c> and a <c>Passfile=</c>, or use certificate
/// authentication (<c>SSL Certificate=…;SSL Key=…</c>).
/// </summary>
public sealed record BackendConfig
{
    public BackendKind Kind { get; init; } = BackendKind.Sqlite;

    /// <summary>The Npgsql connection string (type postgres only).</summary>
    public string? ConnString { get; init; }

    /// <summary><c>auth.ca_key_encryption</c>: seals the CA private keys kept in a postgres backend (required there).</summary>
    public CaKeyEncryptionConfig? CaKeyEncryption { get; init; }
}

/// <summary>
/// <c>auth.ca_key_encryption: { key_file: /etc/ferry/ca-encryption.key }</c> or <c>{ key_env: FERRY_CA_ENCRYPTION_KEY }</c>:
/// where the 32-byte AES-256-GCM key (base64) that seals the CA private keys in a shared backend comes from.
/// Every auth server of the cluster uses the same key.
/// </summary>
public sealed record CaKeyEncryptionConfig
{
    /// <summary>A file (mode 0600) holding the key in base64.</summary>
    public string? KeyFile { get; init; }

    /// <summary>The name of an environment variable holding the key in base64.</summary>
    public string? KeyEnv { get; init; }
}
