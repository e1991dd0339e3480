namespace Ferry.Audit.Tests;

public sealed class SessionPlaybackTests
{
    private const string Session = "sess-play";
    private static long _seq;

    private static AuditEvent E(AuditEventKind kind, int ms, Action<AuditEvent>? set = null)
    {
        var e = kind.NewEvent(Events.T0.AddMilliseconds(ms));
        e.Id = AuditEventId.New(e.Time);
        e.AgentId = "agent-1";
        e.SessionId = Session;
        e.User = "alice";
        e.DbService = "pg1";
        e.DbProtocol = "postgres";
        e.DbUser = "app";
        e.DbName = "shop";
        e.ClientAddr = "127.0.0.1:5000";
        e.Seq = Interlocked.Increment(ref _seq);
        set?.Invoke(e);
        return e;
    }

    private static AuditEvent Result(AuditEvent statement, int ms, long rows, long bytes, string? tag = null) =>
        E(AuditEventKinds.DbSessionResult, ms, e =>
        {
            e.Rows = rows;
            e.BytesOut = bytes;
            e.DurationUs = 1500;
            e.Details = tag is null ? new Dictionary<string, string> { ["statement"] = statement.Id } : new Dictionary<string, string> { ["statement"] = statement.Id, ["tag"] = tag };
        });

    [Fact]
    public void Build_PairsEachResultWithTheStatementItNames_NotTheLastOne()
    {
        var q1 = E(AuditEventKinds.DbSessionQuery, 10, e => e.Query = "SELECT 1");
        var q2 = E(AuditEventKinds.DbSessionQuery, 20, e => e.Query = "SELECT * FROM big");
        // Pipelined: both statements sent, then both results, the first one first.
        var events = new List<AuditEvent>
        {
            E(AuditEventKinds.DbSessionStartAllowed, 0), q1, q2, Result(q1, 30, 1, 40, "SELECT 1"), Result(q2, 40, 5000, 123_456, "SELECT 5000"),
            E(AuditEventKinds.DbSessionEnd, 50, e => { e.EndReason = "client_closed"; e.BytesIn = 10; e.BytesOut = 123_500; }),
        };

        var view = SessionPlayback.Build(Session, events);

        Assert.Equal(2, view.Statements.Count);
        Assert.Equal(("SELECT 1", 1L, 40L, "SELECT 1", true), (view.Statements[0].Query, view.Statements[0].Rows, view.Statements[0].Bytes, view.Statements[0].Tag, view.Statements[0].Finished));
        Assert.Equal(("SELECT * FROM big", 5000L, 123_456L, "SELECT 5000"), (view.Statements[1].Query, view.Statements[1].Rows, view.Statements[1].Bytes, view.Statements[1].Tag));
        Assert.Equal((10.0, 20.0), (view.Statements[0].OffsetMs, view.Statements[1].OffsetMs));
        Assert.Equal((5001L, 123_496L, "client_closed"), (view.Session.Rows, view.Session.Bytes, view.Session.EndReason));
        Assert.Equal(("alice", "pg1", "app", "shop", "postgres"), (view.Session.User, view.Session.Database, view.Session.DbUser, view.Session.DbName, view.Session.Protocol));
    }

    [Fact]
    public void Build_OrdersByTimeThenSpoolSequence_WhateverTheInputOrder()
    {
        var q1 = E(AuditEventKinds.DbSessionQuery, 10, e => e.Query = "first");
        var q2 = E(AuditEventKinds.DbSessionQuery, 10, e => e.Query = "second"); // same millisecond, later in the spool
        var view = SessionPlayback.Build(Session, [q2, Result(q2, 12, 2, 2), q1, E(AuditEventKinds.DbSessionStartAllowed, 0)]);

        Assert.Equal(["first", "second"], view.Statements.Select(s => s.Query));
        Assert.Equal([1, 2], view.Statements.Select(s => s.Sequence));
        Assert.False(view.Statements[0].Finished);
        Assert.True(view.Statements[1].Finished);
    }

    [Fact]
    public void Build_GivesAnExecuteTheTextOfItsParseAndTheParametersOfItsBind()
    {
        var events = new List<AuditEvent>
        {
            E(AuditEventKinds.DbSessionStartAllowed, 0),
            E(AuditEventKinds.DbSessionParse, 1, e => { e.StatementName = "s1"; e.Query = "SELECT * FROM t WHERE id = $1"; }),
            E(AuditEventKinds.DbSessionBind, 2, e => { e.StatementName = "s1"; e.Parameters = ["42"]; e.Details = new Dictionary<string, string> { ["portal"] = "" }; }),
            E(AuditEventKinds.DbSessionExecute, 3, e => e.Details = new Dictionary<string, string> { ["portal"] = "" }),
            E(AuditEventKinds.DbSessionParse, 4, e => { e.StatementName = ""; e.Query = "SELECT now()"; }),
            E(AuditEventKinds.DbSessionBind, 5, e => { e.StatementName = ""; e.Details = new Dictionary<string, string> { ["portal"] = "" }; }),
            E(AuditEventKinds.DbSessionExecute, 6, e => e.Details = new Dictionary<string, string> { ["portal"] = "" }),
        };

        var view = SessionPlayback.Build(Session, events);

        Assert.Equal(2, view.Statements.Count);
        Assert.All(view.Statements, s => Assert.Equal(AuditEventTypes.DbSessionExecute, s.Kind));
        Assert.Equal(("SELECT * FROM t WHERE id = $1", "s1"), (view.Statements[0].Query, view.Statements[0].StatementName));
        Assert.Equal(["42"], view.Statements[0].Parameters!);
        Assert.Equal("SELECT now()", view.Statements[1].Query);
        Assert.Null(view.Statements[1].Parameters);
    }

    [Fact]
    public void Build_TakesErrorsFromFailedResultsAndFromFailureEvents_WithTheirCodes()
    {
        var ok = E(AuditEventKinds.DbSessionQuery, 1, e => e.Query = "SELECT 1");
        var limited = E(AuditEventKinds.DbSessionQuery, 2, e => e.Query = "SELECT * FROM big");
        var stopped = E(AuditEventKinds.DbSessionResultFailed, 3, e =>
        {
            e.Success = false;
            e.Rows = 1000;
            e.BytesOut = 9000;
            e.Error = "54000 result exceeds max_query_rows (1000)";
            e.Details = new Dictionary<string, string> { ["statement"] = limited.Id, ["code"] = "54000", ["limit"] = "max_query_rows" };
        });
        var bad = E(AuditEventKinds.DbSessionQuery, 4, e => e.Query = "SELEC 1");
        var failed = E(AuditEventKinds.DbSessionQueryFailed, 5, e =>
        {
            e.Success = false;
            e.Error = "ERROR 42601: syntax error at or near \"SELEC\"";
            e.Details = new Dictionary<string, string> { ["sqlstate"] = "42601" };
        });

        var view = SessionPlayback.Build(Session, [E(AuditEventKinds.DbSessionStartAllowed, 0), ok, limited, stopped, bad, failed]);

        Assert.Equal(3, view.Statements.Count);
        Assert.True(view.Statements[0].Success);
        Assert.Equal((false, "54000", "max_query_rows", 1000L), (view.Statements[1].Success, view.Statements[1].Code, view.Statements[1].Limit, view.Statements[1].Rows));
        Assert.Equal((false, "42601"), (view.Statements[2].Success, view.Statements[2].Code));
        Assert.Contains("syntax error", view.Statements[2].Error, StringComparison.Ordinal);
        Assert.Equal(2, view.Session.Errors);
    }

    [Fact]
    public void Build_ListsMySqlExecutesWithParameters_AndSkipsPrepareBookkeeping()
    {
        var prepare = E(AuditEventKinds.MySqlStatementPrepare, 1, e => { e.DbProtocol = "mysql"; e.Query = "SELECT ?"; });
        var execute = E(AuditEventKinds.MySqlStatementExecute, 2, e => { e.DbProtocol = "mysql"; e.Query = "SELECT ?"; e.StatementId = 1; e.Parameters = ["7"]; });
        var close = E(AuditEventKinds.MySqlStatementClose, 4, e => e.StatementId = 1);

        var view = SessionPlayback.Build(Session, [E(AuditEventKinds.DbSessionStartAllowed, 0, e => e.DbProtocol = "mysql"), prepare, execute, Result(execute, 3, 1, 20), close]);

        var s = Assert.Single(view.Statements);
        Assert.Equal((AuditEventTypes.MySqlStatementExecute, "SELECT ?", 1L, 1L), (s.Kind, s.Query, s.StatementId, s.Rows));
        Assert.Equal(["7"], s.Parameters!);
        Assert.Equal("mysql", view.Session.Protocol);
        Assert.Null(view.Session.End);
    }

    [Fact]
    public void Build_ShowsADeniedSessionWithItsReason_AndIgnoresOtherSessions()
    {
        var denied = E(AuditEventKinds.DbSessionStartDenied, 0, e => { e.Success = false; e.Error = "egress budget spent"; });
        var other = E(AuditEventKinds.DbSessionQuery, 1, e => { e.SessionId = "someone-else"; e.Query = "SELECT 1"; });

        var view = SessionPlayback.Build(Session, [denied, other]);

        Assert.True(view.Session.Denied);
        Assert.Equal("egress budget spent", view.Session.EndError);
        Assert.Empty(view.Statements);
    }

    [Fact]
    public void Json_UsesTheWebContractNames()
    {
        var q = E(AuditEventKinds.DbSessionQuery, 5, e => e.Query = "SELECT 1");
        var view = SessionPlayback.Build(Session, [E(AuditEventKinds.DbSessionStartAllowed, 0), q, Result(q, 6, 1, 10)]);

        var json = System.Text.Json.JsonSerializer.Serialize(view, AuditJsonContext.Default.SessionPlaybackView);

        Assert.Contains("\"session\":{\"session_id\":\"sess-play\"", json, StringComparison.Ordinal);
        Assert.Contains("\"offset_ms\":5", json, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"db.session.query\"", json, StringComparison.Ordinal);
        Assert.Contains("\"duration_us\":1500", json, StringComparison.Ordinal);
        Assert.Contains("\"bytes\":10", json, StringComparison.Ordinal);
    }
}
