using System.Runtime.CompilerServices;

namespace Ferry.Audit;

/// <summary>
/// Makes the events of one process (auth service, proxy or agent): every event gets its id, time,
/// type and code from one <see cref="AuditEventKind"/>, and the same origin fields; database events
/// also get the same <see cref="DbSessionSubject"/> fields, wherever they are written.
/// </summary>
public sealed class AuditEventFactory(AuditOrigin origin, TimeProvider time)
{
    public AuditOrigin Origin { get; } = origin;

    /// <summary>A new event of <paramref name="kind"/> from this origin, happening now.</summary>
    public AuditEvent Create(AuditEventKind kind)
    {
        AuditEvent e = kind.NewEvent(time.GetUtcNow());
        e.Cluster = Origin.Cluster;
        e.ServerId = Origin.ServerId;
        e.AgentId = Origin.AgentId;
        return e;
    }

    // The JSON of each live session's repeated fields, written once (by reference: a session's subject is one object).
    private readonly ConditionalWeakTable<DbSessionSubject, SessionFragments> _fragments = new();

    /// <summary>A new event of <paramref name="kind"/> about <paramref name="session"/>.</summary>
    public AuditEvent Create(AuditEventKind kind, DbSessionSubject session)
    {
        AuditEvent e = kind.NewEvent(time.GetUtcNow());
        Stamp(e, Origin, session);
        if (!_fragments.TryGetValue(session, out SessionFragments? fragments))
        {
            fragments = _fragments.GetValue(session, s => SessionFragments.For(Origin, s));
        }

        e.Fragments = fragments;
        return e;
    }

    /// <summary>Sets the origin's and the session's fields of <paramref name="e"/>.</summary>
    internal static void Stamp(AuditEvent e, AuditOrigin origin, DbSessionSubject session)
    {
        e.Cluster = origin.Cluster;
        e.ServerId = origin.ServerId;
        e.AgentId = origin.AgentId;
        e.User = session.User;
        e.Roles = session.Roles;
        e.ClientAddr = session.ClientAddr;
        e.SessionId = session.SessionId;
        e.DbService = session.DbService;
        e.DbProtocol = session.DbProtocol;
        e.DbUser = session.DbUser;
        e.DbName = session.DbName;
        e.DbLabels = session.DbLabels;
        e.AccessRequestIds = RequestIds(session);
    }

    /// <summary>The access requests an event of <paramref name="session"/> names: none rather than an empty list.</summary>
    internal static IReadOnlyList<string>? RequestIds(DbSessionSubject session) =>
        session.AccessRequestIds is { Count: > 0 } ids ? ids : null;

    /// <summary><c>db.session.start</c>: the session was authorised and started.</summary>
    public AuditEvent SessionStarted(DbSessionSubject session, IReadOnlyDictionary<string, string>? details = null)
    {
        AuditEvent e = Create(AuditEventKinds.DbSessionStartAllowed, session);
        e.Details = details;
        return e;
    }

    /// <summary><c>db.session.start</c>, denied: <paramref name="error"/> says why.</summary>
    public AuditEvent SessionDenied(DbSessionSubject session, string error)
    {
        AuditEvent e = Create(AuditEventKinds.DbSessionStartDenied, session);
        e.Success = false;
        e.Error = error;
        return e;
    }

    /// <summary><c>db.session.end</c>: why, the bytes each way and how long it lasted.</summary>
    public AuditEvent SessionEnded(DbSessionSubject session, SessionEndReason reason, string? error, long bytesIn, long bytesOut, TimeSpan duration)
    {
        AuditEvent e = Create(AuditEventKinds.DbSessionEnd, session);
        e.EndReason = reason.ToName();
        e.Error = error;
        e.BytesIn = bytesIn;
        e.BytesOut = bytesOut;
        e.DurationUs = (long)duration.TotalMicroseconds;
        return e;
    }
}
