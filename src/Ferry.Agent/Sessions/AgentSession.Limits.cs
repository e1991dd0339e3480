using System.Diagnostics;
using System.Globalization;
using Ferry.Audit;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent;

/// <summary>
/// The roles' limits on what a session may take, whatever the protocol: the per-statement results
/// (<c>db.session.result</c>), <c>max_query_rows</c> / <c>max_query_bytes</c>, the egress budget and the
/// idle timeout. A protocol's session counts rows and bytes in its relay and asks here when a limit is crossed.
/// </summary>
internal abstract partial class AgentSession
{
    /// <summary>How many rows pass between two egress reports within one long result.</summary>
    protected const long EgressReportRows = 1000;

    private long _egressRows, _egressBytes;

    /// <summary>The smallest <c>max_query_rows</c> of the roles, or <see cref="long.MaxValue"/>.</summary>
    protected long MaxQueryRows => _rbac?.MaxQueryRows ?? long.MaxValue;

    /// <summary>The smallest <c>max_query_bytes</c> of the roles, or <see cref="long.MaxValue"/>.</summary>
    protected long MaxQueryBytes => _rbac?.MaxQueryBytes ?? long.MaxValue;

    /// <summary>The limit's value as the client and the log see it.</summary>
    protected string LimitValue(string limit) => limit switch
    {
        Limits.MaxQueryRows => MaxQueryRows.ToString(CultureInfo.InvariantCulture),
        Limits.MaxQueryBytes => ByteSize.Format(MaxQueryBytes),
        _ => "",
    };

    /// <summary>The message a client gets when a statement was stopped by <paramref name="limit"/>.</summary>
    protected string LimitMessage(string limit, string? egressReason = null) => limit switch
    {
        Limits.MaxQueryRows => $"the statement returned more than {LimitValue(limit)} rows, the most your roles allow (max_query_rows): it was stopped; add a LIMIT or narrow the query",
        Limits.MaxQueryBytes => $"the statement's result grew past {LimitValue(limit)}, the most your roles allow (max_query_bytes): it was stopped; select fewer rows or columns",
        Limits.Egress => $"egress budget spent: {egressReason}; the statement was stopped and the session closed",
        _ => "the statement was stopped by a limit",
    };

    /// <summary>Names of the limits (the <c>limit</c> detail of <c>TDB04W</c>, the <c>limit</c> label of <c>ferry_limits_total</c>).</summary>
    protected static class Limits
    {
        public const string MaxQueryRows = "max_query_rows";
        public const string MaxQueryBytes = "max_query_bytes";
        public const string Egress = "egress";
        public const string StatementTimeout = "statement_timeout";
        public const string IdleTimeout = "idle_timeout";
        public const string PinnedSetting = "pinned_setting";
    }

    /// <summary>Logs and counts a statement stopped by <paramref name="limit"/>.</summary>
    protected void RecordLimit(string limit, long rows, long bytes)
    {
        FerryMetrics.LimitHit(Db.Protocol.ToName(), Db.Name, limit);
        AgentLog.StatementLimitReached(Ctx.Log, Audit.SessionId, Db.Name, Identity.User, limit, LimitValue(limit), rows, bytes);
    }

    /// <summary>
    /// Refuses the session at its start when the user's egress budget on this database is spent: null when it may
    /// start, else why not (counted, logged; the caller audits the refusal).
    /// </summary>
    protected string? CheckEgress()
    {
        if (_rbac?.Egress is not { } limit)
        {
            return null;
        }
        var refusal = Ctx.Egress.Refusal(Identity, Db.Name, limit);
        if (refusal is not null)
        {
            FerryMetrics.LimitHit(Db.Protocol.ToName(), Db.Name, Limits.Egress);
            AgentLog.EgressSpent(Ctx.Log, Audit.SessionId, Db.Name, Identity.User, refusal);
        }
        return refusal;
    }

    /// <summary>
    /// Counts rows and bytes that passed to the client against the egress budget, reporting them every
    /// <see cref="EgressReportRows"/> rows (or at once when <paramref name="flush"/>). Null while the budget holds, else why it is spent.
    /// </summary>
    protected string? CountEgress(long rows, long bytes, bool flush)
    {
        if (_rbac?.Egress is not { } limit)
        {
            return null;
        }
        _egressRows += rows;
        _egressBytes += bytes;
        if (!flush && _egressRows < EgressReportRows)
        {
            return null;
        }
        var (r, b) = (_egressRows, _egressBytes);
        _egressRows = _egressBytes = 0;
        if (r == 0 && b == 0)
        {
            return null;
        }
        var spent = Ctx.Egress.Record(Identity, Db.Name, limit, r, b);
        if (spent is not null)
        {
            FerryMetrics.LimitHit(Db.Protocol.ToName(), Db.Name, Limits.Egress);
            AgentLog.EgressSpent(Ctx.Log, Audit.SessionId, Db.Name, Identity.User, spent);
        }
        return spent;
    }

    /// <summary>Ends the session from inside (a spent egress budget, the idle timeout): the client is told <paramref name="message"/>.</summary>
    protected void EndSession(SessionEndReason reason, string message) => _live?.Terminate(reason, message);

    /// <summary>
    /// Emits the <c>db.session.result</c> of a finished statement: <c>TDB04I</c>, or <c>TDB04W</c> when <paramref name="code"/>
    /// (SQLSTATE or MySQL error number) is set, with <paramref name="limit"/> when a role limit stopped it.
    /// </summary>
    protected void EmitResult(string statementEventId, long started, long rows, long bytes, string? tag, string? code, string? error, string? limit)
    {
        var failed = code is not null || limit is not null;
        var e = Audit.NewEvent(failed ? AuditEventKinds.DbSessionResultFailed : AuditEventKinds.DbSessionResult);
        e.Rows = rows;
        e.BytesOut = bytes;
        e.DurationUs = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        var details = new Dictionary<string, string>(4) { ["statement"] = statementEventId };
        if (tag is not null)
        {
            details["tag"] = tag;
        }
        if (failed)
        {
            e.Success = false;
            e.Error = error is null ? code : code + " " + (error.Length > 2048 ? error[..2048] : error);
            if (code is not null)
            {
                details["code"] = code;
            }
            if (limit is not null)
            {
                details["limit"] = limit;
            }
        }
        e.Details = details;
        Audit.Emit(e);
    }
}
