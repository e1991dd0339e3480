using Ferry.Config;

namespace Ferry.Config.Tests;

/// <summary><c>auth.audit_store</c>: follows the backend by default; postgres needs a postgres backend.</summary>
public sealed class AuditStoreConfigTests
{
    private const string Pg = "  backend: { type: postgres, conn_string: \"Host=db;Database=ferry\" }\n  ca_key_encryption: { key_env: FERRY_CA_KEY }\n";

    [Theory]
    [InlineData("auth:\n  listen_addr: 127.0.0.1:3025\n", AuditStoreKind.Segments)]
    [InlineData("auth:\n" + Pg, AuditStoreKind.Postgres)]
    [InlineData("auth:\n" + Pg + "  audit_store: segments\n", AuditStoreKind.Segments)]
    [InlineData("auth:\n" + Pg + "  audit_store: postgres\n", AuditStoreKind.Postgres)]
    [InlineData("auth:\n  backend: { type: sqlite }\n  audit_store: segments\n", AuditStoreKind.Segments)]
    public void AuditStore_FollowsTheBackendUnlessSet(string yaml, AuditStoreKind expected) =>
        Assert.Equal(expected, FerryConfigParser.Parse(yaml, "f.yaml").Auth!.AuditStore);

    [Fact]
    public void PostgresAuditStore_WithoutAPostgresBackend_IsAnErrorAtItsLine()
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("auth:\n  listen_addr: 127.0.0.1:3025\n  audit_store: postgres\n", "f.yaml"));
        Assert.StartsWith("f.yaml:3:16: auth.audit_store: audit_store: postgres keeps the audit events in the PostgreSQL backend's database", ex.Message);
    }

    [Fact]
    public void UnknownAuditStore_IsAnErrorAtItsLine()
    {
        var ex = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse("auth:\n  audit_store: mongo\n", "f.yaml"));
        Assert.StartsWith("f.yaml:2:16: auth.audit_store:", ex.Message);
    }
}
