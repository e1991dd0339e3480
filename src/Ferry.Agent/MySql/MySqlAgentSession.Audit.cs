using Ferry.Audit;

namespace Ferry.Agent.MySql;

internal sealed partial class MySqlAgentSession
{
    private AuditEvent NewEvent(string type, string code) => new()
    {
        Id = AuditEventId.New(),
        Time = _ctx.Time.GetUtcNow(),
        Type = type,
        Code = code,
        Cluster = _ctx.ClusterName,
        User = _identity.User,
        Roles = _identity.Roles,
        ClientAddr = _clientAddress,
        SessionId = _sessionId,
        AgentId = _ctx.AgentId,
        DbService = _db.Name,
        DbProtocol = "mysql",
        DbUser = _dbUser,
        DbName = _dbName,
        DbLabels = _db.Labels,
    };

    private void EmitStart(bool allowed, string? error)
    {
        var e = NewEvent(AuditEventTypes.DbSessionStart, allowed ? AuditEventCodes.DbSessionStartAllowed : AuditEventCodes.DbSessionStartDenied);
        e.Success = allowed;
        e.Error = error;
        _ctx.Audit.Emit(e);
    }

    private void EmitEnd(string reason, string? error, long bytesIn, long bytesOut, TimeSpan duration)
    {
        var e = NewEvent(AuditEventTypes.DbSessionEnd, AuditEventCodes.DbSessionEnd);
        e.EndReason = reason;
        e.Error = error;
        e.BytesIn = bytesIn;
        e.BytesOut = bytesOut;
        e.DurationUs = (long)duration.TotalMicroseconds;
        _ctx.Audit.Emit(e);
    }
}
