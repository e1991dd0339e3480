using Ferry.Audit;
using Ferry.Identity;

namespace Ferry.Agent;

/// <summary>
/// The audit events of one relayed session, whatever the protocol: every event carries who, from where,
/// which session, agent and database; <see cref="DbUser"/> and <see cref="DbName"/> are filled in once the
/// startup (PostgreSQL) or handshake response (MySQL) has named them.
/// </summary>
internal sealed class SessionAudit(AgentContext ctx, AgentDatabase db, UserIdentity identity, string clientAddress, string protocol)
{
    public string SessionId { get; } = Guid.CreateVersion7().ToString();

    public string DbUser { get; set; } = "";

    public string DbName { get; set; } = "";

    public AuditEvent NewEvent(string type, string code) => new()
    {
        Id = AuditEventId.New(),
        Time = ctx.Time.GetUtcNow(),
        Type = type,
        Code = code,
        Cluster = ctx.ClusterName,
        User = identity.User,
        Roles = identity.Roles,
        ClientAddr = clientAddress,
        SessionId = SessionId,
        AgentId = ctx.AgentId,
        DbService = db.Name,
        DbProtocol = protocol,
        DbUser = DbUser,
        DbName = DbName,
        DbLabels = db.Labels,
    };

    public void Emit(AuditEvent e) => ctx.Audit.Emit(e);

    public void Start(bool allowed, string? error, IReadOnlyDictionary<string, string>? details = null)
    {
        var e = NewEvent(AuditEventTypes.DbSessionStart, allowed ? AuditEventCodes.DbSessionStartAllowed : AuditEventCodes.DbSessionStartDenied);
        e.Success = allowed;
        e.Error = error;
        e.Details = details;
        Emit(e);
    }

    public void End(string reason, string? error, long bytesIn, long bytesOut, TimeSpan duration)
    {
        var e = NewEvent(AuditEventTypes.DbSessionEnd, AuditEventCodes.DbSessionEnd);
        e.EndReason = reason;
        e.Error = error;
        e.BytesIn = bytesIn;
        e.BytesOut = bytesOut;
        e.DurationUs = (long)duration.TotalMicroseconds;
        Emit(e);
    }
}
