using Ferry.Audit;
using Ferry.Identity;

namespace Ferry.Agent;

/// <summary>
/// The audit events of one relayed session, whatever the protocol: every event names the same
/// <see cref="DbSessionSubject"/> (who, from where, which session and database); <see cref="DbUser"/> and
/// <see cref="DbName"/> are filled in once the startup (PostgreSQL) or handshake response (MySQL) has named them.
/// </summary>
internal sealed class SessionAudit(AgentContext ctx, AgentDatabase db, UserIdentity identity, string clientAddress)
{
    private DbSessionSubject _subject = new(identity.User, identity.Roles, clientAddress, Guid.CreateVersion7().ToString(),
        db.Name, db.Protocol.ToName(), DbUser: "", DbName: "", db.Labels,
        identity.AccessRequestIds.Count > 0 ? identity.AccessRequestIds : null);

    public string SessionId => _subject.SessionId!;

    public string DbUser
    {
        get => _subject.DbUser!;
        set => _subject = _subject with { DbUser = value };
    }

    public string DbName
    {
        get => _subject.DbName!;
        set => _subject = _subject with { DbName = value };
    }

    public AuditEvent NewEvent(AuditEventKind kind) => ctx.AuditEvents.Create(kind, _subject);

    public void Emit(AuditEvent e) => ctx.Audit.Emit(e);

    public void Started(IReadOnlyDictionary<string, string>? details) => Emit(ctx.AuditEvents.SessionStarted(_subject, details));

    /// <summary>Audits a refused session and counts and logs the refusal under <paramref name="refusal"/> (an <see cref="AgentRefusals"/> reason).</summary>
    public void Refused(string refusal, string error)
    {
        AgentRefusals.Record(ctx, refusal, db.Name, clientAddress, error);
        if (refusal == AgentRefusals.MfaRequired)
        {
            var e = ctx.AuditEvents.SessionDenied(_subject, error);
            e.Details = new Dictionary<string, string> { ["reason"] = refusal };
            Emit(e);
            return;
        }

        Denied(error);
    }

    public void Denied(string error) => Emit(ctx.AuditEvents.SessionDenied(_subject, error));

    public void Ended(SessionEndReason reason, string? error, long bytesIn, long bytesOut, TimeSpan duration) =>
        Emit(ctx.AuditEvents.SessionEnded(_subject, reason, error, bytesIn, bytesOut, duration));
}
