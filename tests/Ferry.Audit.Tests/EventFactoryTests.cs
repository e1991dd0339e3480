using System.Reflection;

namespace Ferry.Audit.Tests;

public class EventFactoryTests
{
    private static readonly DbSessionSubject Session = new("alice", ["dba"], "10.0.0.5:51234", "sess-1",
        "pg1", "postgres", "app", "shop", new Dictionary<string, string> { ["env"] = "prod" });

    [Fact]
    public void Kinds_EveryKindIsInTheTableOnce()
    {
        AuditEventKind[] declared = [.. typeof(AuditEventKinds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(AuditEventKind))
            .Select(f => (AuditEventKind)f.GetValue(null)!)];

        Assert.Equal(declared.Length, AuditEventKinds.All.Count);
        Assert.All(declared, k => Assert.Single(AuditEventKinds.All, x => ReferenceEquals(x, k)));
    }

    [Fact]
    public void Kinds_EveryTypeAndCodePairIsARowOfTheAuditEventsDocument()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "audit-events.md"));

        Assert.All(AuditEventKinds.All, k => Assert.Contains($"| `{k.Type}` | `{k.Code}` |", doc, StringComparison.Ordinal));
    }

    [Fact]
    public void Create_SetsTypeAndCodeFromOneKindAndTheOrigin()
    {
        var factory = new AuditEventFactory(AuditOrigin.Agent("main", "agent-1"), new ManualClock(Events.T0));

        AuditEvent e = factory.Create(AuditEventKinds.MySqlInitDb, Session);

        Assert.Equal(("db.session.mysql.init_db", "TMY06I"), (e.Type, e.Code));
        Assert.Equal(Events.T0, e.Time);
        Assert.Equal(26, e.Id.Length);
        Assert.Equal(("main", "agent-1", null), (e.Cluster, e.AgentId, e.ServerId));
        Assert.Equal(("alice", "10.0.0.5:51234", "sess-1"), (e.User, e.ClientAddr, e.SessionId));
        Assert.Equal(("pg1", "postgres", "app", "shop"), (e.DbService, e.DbProtocol, e.DbUser, e.DbName));
        Assert.Equal("prod", e.DbLabels!["env"]);
        Assert.True(e.Success);
    }

    [Fact]
    public void SessionDenied_IsAFailedStartFromTheServer()
    {
        var factory = new AuditEventFactory(AuditOrigin.Server("main", "proxy-1"), new ManualClock(Events.T0));

        AuditEvent e = factory.SessionDenied(new DbSessionSubject(ClientAddr: "10.0.0.5:1", DbService: "pg1", DbProtocol: "mysql"), "locked");

        Assert.Equal(("db.session.start", "TDB00W"), (e.Type, e.Code));
        Assert.False(e.Success);
        Assert.Equal("locked", e.Error);
        Assert.Equal(("proxy-1", null, "mysql"), (e.ServerId, e.AgentId, e.DbProtocol));
    }

    [Fact]
    public void SessionEnded_WritesTheDocumentedEndReasonAndTotals()
    {
        var factory = new AuditEventFactory(AuditOrigin.Agent("main", "agent-1"), new ManualClock(Events.T0));

        AuditEvent e = factory.SessionEnded(Session, SessionEndReason.DatabaseProtocolError, null, 10, 20, TimeSpan.FromMilliseconds(1.5));

        Assert.Equal(("db.session.end", "TDB01I"), (e.Type, e.Code));
        Assert.Equal("database_protocol_error", e.EndReason);
        Assert.Equal((10L, 20L, 1500L), (e.BytesIn!.Value, e.BytesOut!.Value, e.DurationUs!.Value));
    }

    [Theory]
    [InlineData(SessionEndReason.ClientClosed, "client_closed")]
    [InlineData(SessionEndReason.DatabaseClosed, "database_closed")]
    [InlineData(SessionEndReason.ClientProtocolError, "client_protocol_error")]
    [InlineData(SessionEndReason.DatabaseProtocolError, "database_protocol_error")]
    [InlineData(SessionEndReason.Lock, "lock")]
    [InlineData(SessionEndReason.CertExpired, "cert_expired")]
    [InlineData(SessionEndReason.AccessDenied, "access_denied")]
    [InlineData(SessionEndReason.IdleTimeout, "idle_timeout")]
    [InlineData(SessionEndReason.Egress, "egress")]
    public void EndReason_KeepsItsStoredName(SessionEndReason reason, string name)
    {
        Assert.Equal(name, reason.ToName());
        Assert.Equal(9, Enum.GetValues<SessionEndReason>().Length);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Proxy.sln not found above " + AppContext.BaseDirectory);
    }
}
