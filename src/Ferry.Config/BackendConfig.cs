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
}
