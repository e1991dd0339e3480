using Ferry.Audit;
using Ferry.Diagnostics;

namespace Ferry.Agent;

/// <summary>
/// Derives the session metrics from the audit events the agent emits, then hands each event on: an
/// allowed <c>db.session.start</c> is an established session, a denied one a refused session, a
/// <c>db.session.end</c> ends an active one, and a query, PostgreSQL Execute or MySQL statement execute
/// counts as a query. The audit trail is the record of what happened, so the counters cannot drift
/// from it, whichever session code emitted the event.
/// </summary>
internal sealed class SessionMetricsSink(IAuditSink inner) : IAuditSink
{
    public IAuditSink Inner => inner;

    public void Emit(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var protocol = e.DbProtocol ?? "unknown";
        var database = e.DbService ?? "";
        switch (e.Type)
        {
            case AuditEventTypes.DbSessionStart when e.Success:
                FerryMetrics.SessionEstablished(protocol, database);
                break;
            case AuditEventTypes.DbSessionStart:
                FerryMetrics.SessionRefused(protocol, database);
                break;
            case AuditEventTypes.DbSessionEnd:
                FerryMetrics.SessionEnded(protocol, database);
                break;
            case AuditEventTypes.DbSessionQuery or AuditEventTypes.DbSessionExecute or AuditEventTypes.MySqlStatementExecute:
                FerryMetrics.Query(protocol, database);
                break;
            case AuditEventTypes.DbSessionResult:
                FerryMetrics.Result(protocol, database, e.Rows ?? 0, e.BytesOut ?? 0);
                break;
        }
        inner.Emit(e);
    }
}
