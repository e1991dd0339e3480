namespace Ferry.Audit;

/// <summary>
/// Turns a session's audit events into its playback: the start and end, then each statement in order with its
/// offset from the start, its text and parameters, and what came back. The one place that pairs events:
/// <list type="bullet">
/// <item>a <c>db.session.result</c> (TDB04I/W) goes to the statement whose event id its <c>details.statement</c> names;</item>
/// <item>a PostgreSQL Execute takes the text of the statement its portal was bound to (Parse → Bind → Execute) and
/// the Bind's parameters; Parse, Bind, Close and MySQL prepare/close/reset/long-data are bookkeeping, not listed;</item>
/// <item>a failure event (TDB02W, the server's error as it passed) marks the statement before it, unless its
/// result already said why; a failure with no statement before it is listed on its own.</item>
/// </list>
/// Events are ordered by time, ties by their spool sequence, then by input order. Used by <c>ferry play</c>,
/// <c>ferry sessions watch</c>, <c>GET /v1/audit/sessions/{id}</c> and the web UI.
/// </summary>
public static class SessionPlayback
{
    /// <summary>Builds the playback of <paramref name="sessionId"/> from its events (others are ignored).</summary>
    public static SessionPlaybackView Build(string sessionId, IEnumerable<AuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(events);
        var ordered = events
            .Where(e => e.SessionId == sessionId)
            .Select((e, i) => (Event: e, Index: i))
            .OrderBy(x => x.Event.Time)
            .ThenBy(x => x.Event.Seq ?? long.MaxValue)
            .ThenBy(x => x.Index)
            .Select(x => x.Event)
            .ToList();

        var view = new SessionPlaybackView();
        var session = view.Session;
        session.SessionId = sessionId;
        var start = ordered.FirstOrDefault(e => e.Type == AuditEventTypes.DbSessionStart);
        var end = ordered.LastOrDefault(e => e.Type == AuditEventTypes.DbSessionEnd);
        var any = start ?? ordered.FirstOrDefault();
        if (any is not null)
        {
            session.User = any.User;
            session.Roles = any.Roles;
            session.Protocol = any.DbProtocol;
            session.Database = any.DbService;
            session.DbUser = any.DbUser;
            session.DbName = any.DbName;
            session.ClientAddr = any.ClientAddr;
            session.AgentId = any.AgentId;
        }

        session.Start = start?.Time;
        session.Denied = start is { Success: false };
        if (session.Denied)
        {
            session.EndError = start!.Error;
        }

        if (end is not null)
        {
            session.End = end.Time;
            session.EndReason = end.EndReason;
            session.EndError = end.Error ?? session.EndError;
            session.BytesIn = end.BytesIn;
            session.BytesOut = end.BytesOut;
            session.DurationUs = end.DurationUs;
        }

        var origin = start?.Time ?? any?.Time ?? default;
        var byEventId = new Dictionary<string, PlaybackStatement>(StringComparer.Ordinal);
        var prepared = new Dictionary<string, (string? Query, bool? Truncated)>(StringComparer.Ordinal);
        var portals = new Dictionary<string, (string? Query, bool? Truncated, string Statement, IReadOnlyList<string?>? Parameters)>(StringComparer.Ordinal);
        PlaybackStatement? last = null;
        foreach (var e in ordered)
        {
            switch (e.Type)
            {
                case AuditEventTypes.DbSessionStart or AuditEventTypes.DbSessionEnd:
                    continue;
                case AuditEventTypes.DbSessionResult:
                    if (Detail(e, "statement") is { } id && byEventId.TryGetValue(id, out var target))
                    {
                        ApplyResult(target, e);
                    }

                    continue;
                case AuditEventTypes.DbSessionParse:
                    prepared[e.StatementName ?? ""] = (e.Query, e.Truncated);
                    continue;
                case AuditEventTypes.DbSessionBind:
                    var name = e.StatementName ?? "";
                    prepared.TryGetValue(name, out var text);
                    portals[Detail(e, "portal") ?? ""] = (text.Query, text.Truncated, name, e.Parameters);
                    continue;
                case AuditEventTypes.DbSessionClose or AuditEventTypes.MySqlStatementPrepare or AuditEventTypes.MySqlStatementClose
                    or AuditEventTypes.MySqlStatementReset or AuditEventTypes.MySqlStatementSendLongData:
                    continue;
                case AuditEventTypes.DbSessionQuery when !e.Success:
                    if (last is not null && last.Success)
                    {
                        last.Success = false;
                        last.Error = e.Error;
                        last.Code = Detail(e, "sqlstate") ?? LeadingCode(e.Error);
                        continue;
                    }

                    if (last is not null)
                    {
                        continue; // its result (or an earlier failure) already said why
                    }

                    break;
            }

            var s = new PlaybackStatement
            {
                Sequence = view.Statements.Count + 1,
                EventId = e.Id,
                Time = e.Time,
                OffsetMs = Math.Round((e.Time - origin).TotalMilliseconds, 3),
                Kind = e.Type,
                Query = e.Query,
                Truncated = e.Truncated,
                StatementName = e.StatementName,
                StatementId = e.StatementId,
                Parameters = e.Parameters,
                Rows = e.Rows,
                DurationUs = e.DurationUs,
                Success = e.Success,
                Error = e.Error,
                Code = e.Success ? null : Detail(e, "sqlstate") ?? Detail(e, "code") ?? LeadingCode(e.Error),
                Details = e.Details,
            };
            if (e.Type == AuditEventTypes.DbSessionExecute && portals.TryGetValue(Detail(e, "portal") ?? "", out var portal))
            {
                s.Query ??= portal.Query;
                s.Truncated ??= portal.Truncated;
                s.StatementName ??= portal.Statement;
                s.Parameters ??= portal.Parameters;
            }

            view.Statements.Add(s);
            if (e.Id.Length > 0)
            {
                byEventId[e.Id] = s;
            }

            last = s;
        }

        foreach (var s in view.Statements)
        {
            session.Rows += s.Rows ?? 0;
            session.Bytes += s.Bytes ?? 0;
            session.Errors += s.Success ? 0 : 1;
        }

        return view;
    }

    private static void ApplyResult(PlaybackStatement s, AuditEvent result)
    {
        s.Finished = true;
        s.Rows = result.Rows ?? s.Rows;
        s.Bytes = result.BytesOut;
        s.DurationUs = result.DurationUs ?? s.DurationUs;
        s.Tag = Detail(result, "tag");
        if (!result.Success)
        {
            s.Success = false;
            s.Error = result.Error ?? s.Error;
            s.Code = Detail(result, "code") ?? LeadingCode(result.Error) ?? s.Code;
            s.Limit = Detail(result, "limit");
        }
    }

    private static string? Detail(AuditEvent e, string key) =>
        e.Details is not null && e.Details.TryGetValue(key, out var value) ? value : null;

    /// <summary>The first word of "&lt;code&gt; &lt;message&gt;" when it looks like a code (SQLSTATE or error number).</summary>
    private static string? LeadingCode(string? error)
    {
        if (string.IsNullOrEmpty(error))
        {
            return null;
        }

        var space = error.IndexOf(' ', StringComparison.Ordinal);
        var word = space < 0 ? error : error[..space];
        return word.Length is > 0 and <= 8 && word.All(char.IsAsciiLetterOrDigit) && word.Any(char.IsAsciiDigit) ? word : null;
    }
}
