namespace Ferry.Config;

/// <summary><c>auth.audit_store</c>: where the auth service keeps audit events.</summary>
public enum AuditStoreKind
{
    /// <summary>Hash-chained zstd segments in <c>data_dir/audit</c> (one auth server); the default with a SQLite backend.</summary>
    Segments,

    /// <summary>
    /// The <c>ferry_audit</c> table in the PostgreSQL backend's database, one hash chain shared by every auth server; the
    /// default with <c>backend.type: postgres</c> (needs it).
    /// </summary>
    Postgres,
}
