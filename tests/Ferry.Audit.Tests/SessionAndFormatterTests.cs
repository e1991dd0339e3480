using System.Text;

namespace Ferry.Audit.Tests;

public sealed class SessionAndFormatterTests
{
    private static List<AuditEvent> Session()
    {
        DateTimeOffset t = Events.T0;
        AuditEvent Ev(string type, string code, int ms) => new()
        {
            Id = AuditEventId.New(t.AddMilliseconds(ms)),
            Time = t.AddMilliseconds(ms),
            Type = type,
            Code = code,
            User = "alice",
            SessionId = "sess-42",
            DbService = "pg1",
            DbUser = "app",
            DbName = "shop",
        };

        AuditEvent start = Ev(AuditEventTypes.DbSessionStart, AuditEventKinds.DbSessionStartAllowed.Code, 0);
        AuditEvent q1 = Ev(AuditEventTypes.DbSessionQuery, AuditEventKinds.DbSessionQuery.Code, 100);
        q1.Query = "BEGIN";
        AuditEvent q2 = Ev(AuditEventTypes.DbSessionQuery, AuditEventKinds.DbSessionQuery.Code, 250);
        q2.Query = "DELETE FROM orders\n  WHERE id = 7";
        q2.DurationUs = 1500;
        q2.Rows = 1;
        AuditEvent end = Ev(AuditEventTypes.DbSessionEnd, AuditEventKinds.DbSessionEnd.Code, 2000);
        end.EndReason = "client_eof";
        return [end, q2, start, q1];
    }

    [Fact]
    public void SessionView_OrdersStatementsAndGivesOffsetsFromTheStart()
    {
        using var dir = new TempDirectory();
        using var store = AuditStore.Open(dir.Path, new AuditStoreOptions { Fsync = false });
        store.Append([.. Session(), Events.Query(1, session: "other")]);

        AuditSessionView view = store.GetSession("sess-42");

        Assert.Equal(["BEGIN", "DELETE FROM orders\n  WHERE id = 7"], view.Statements.Select(s => s.Query));
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(250)], view.Statements.Select(s => s.Offset));
        Assert.Equal(TimeSpan.FromSeconds(2), view.Duration);
        Assert.Equal("client_eof", view.EndReason);
        Assert.Equal("alice", view.User);
        Assert.False(view.Denied);
    }

    [Fact]
    public void Table_HasAHeaderAndOneLinePerEventWithTheQueryOnOneLine()
    {
        var w = new StringWriter();
        AuditFormatters.WriteTable(w, Session().OrderBy(e => e.Time));

        string[] lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("TIME", lines[0], StringComparison.Ordinal);
        Assert.Contains("DELETE FROM orders WHERE id = 7", lines[3], StringComparison.Ordinal);
        Assert.Contains("end: client_eof", lines[4], StringComparison.Ordinal);
        Assert.Contains("sess-42", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void JsonLines_RoundTripEveryEvent()
    {
        List<AuditEvent> events = Session();
        using var ms = new MemoryStream();
        AuditFormatters.WriteJsonLines(ms, events);

        string text = Encoding.UTF8.GetString(ms.ToArray());
        List<AuditEvent> back = [.. AuditFormatters.ReadJsonLines(new StringReader(text))];

        Assert.Equal(4, text.Count(c => c == '\n'));
        Assert.Equal(events.Select(e => (e.Id, e.Query)), back.Select(e => (e.Id, e.Query)));
    }

    [Fact]
    public void SessionText_ListsStatementsWithOffsetsAndDurations()
    {
        var w = new StringWriter();
        AuditFormatters.WriteSession(w, AuditSessionView.Build("sess-42", Session()));

        string text = w.ToString();
        Assert.Contains("0.250s", text, StringComparison.Ordinal);
        Assert.Contains("1.500ms", text, StringComparison.Ordinal);
        Assert.Contains("end reason client_eof", text, StringComparison.Ordinal);
    }
}
