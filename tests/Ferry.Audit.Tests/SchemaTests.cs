using System.Text.Json;

namespace Ferry.Audit.Tests;

public sealed class SchemaTests
{
    [Fact]
    public void Event_WithEveryField_RoundTripsThroughTheSourceGeneratedContext()
    {
        var e = new AuditEvent
        {
            Id = AuditEventId.New(),
            Time = new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero),
            Code = AuditEventKinds.DbSessionBind.Code,
            Type = AuditEventTypes.DbSessionBind,
            Cluster = "c1",
            User = "alice",
            Roles = ["dba", "reader"],
            ClientAddr = "10.0.0.1:5555",
            SessionId = "s1",
            ServerId = "proxy-1",
            AgentId = "agent-1",
            Success = false,
            Error = "permission denied",
            DbService = "pg1",
            DbProtocol = "postgres",
            DbUser = "app",
            DbName = "shop",
            DbLabels = new Dictionary<string, string> { ["env"] = "prod" },
            Query = "SELECT $1",
            StatementName = "s0",
            StatementId = 7,
            Parameters = ["1", null, "x"],
            Rows = 3,
            BytesIn = 10,
            BytesOut = 20,
            DurationUs = 1234,
            EndReason = "client_eof",
            Details = new Dictionary<string, string> { ["method"] = "password" },
        };

        string json = JsonSerializer.Serialize(e, AuditJsonContext.Default.AuditEvent);
        AuditEvent back = JsonSerializer.Deserialize(json, AuditJsonContext.Default.AuditEvent)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, AuditJsonContext.Default.AuditEvent));
        Assert.Equal(e.Time, back.Time);
        Assert.Equal(["1", null, "x"], back.Parameters!);
        Assert.Equal("prod", back.DbLabels!["env"]);
        Assert.False(back.Success);
        Assert.Contains("\"session_id\":\"s1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"db_labels\":{\"env\":\"prod\"}", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_WithOnlyCommonFields_OmitsNullFieldsFromJson()
    {
        var e = new AuditEvent { Id = "x", Type = AuditEventTypes.UserLogin, Code = AuditEventKinds.UserLoginSuccess.Code, User = "bob" };

        string json = JsonSerializer.Serialize(e, AuditJsonContext.Default.AuditEvent);

        Assert.DoesNotContain("query", json, StringComparison.Ordinal);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Catalog_CodesAreUniqueAndEveryTypeConstantIsListed()
    {
        Assert.Equal(AuditEventCatalog.All.Count, AuditEventCatalog.All.Select(k => k.Code).Distinct().Count());
        string[] types = [.. typeof(AuditEventTypes).GetFields().Select(f => (string)f.GetRawConstantValue()!)];
        foreach (string t in types)
        {
            Assert.Contains(AuditEventCatalog.All, k => k.Type == t);
        }

        Assert.Equal("db.session.start", AuditEventCatalog.FindByCode("TDB00W")!.Type);
    }

    [Fact]
    public void NewId_IsAUlidThatSortsByTime()
    {
        string a = AuditEventId.New(Events.T0);
        string b = AuditEventId.New(Events.T0.AddMilliseconds(1));

        Assert.Equal(26, a.Length);
        Assert.True(string.CompareOrdinal(a, b) < 0);
        Assert.NotEqual(AuditEventId.New(Events.T0), AuditEventId.New(Events.T0));
    }
}
