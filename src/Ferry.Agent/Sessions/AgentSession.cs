using System.IO.Pipelines;
using Ferry.Audit;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent;

/// <summary>
/// What every agent session does whatever the protocol: checks locks and RBAC, audits its start and
/// end, registers itself as live (so a new lock closes it), ends itself when the user's certificate
/// expires, and runs the two relay directions until one ends (<see cref="RelayAsync"/>). A protocol's
/// session supplies the handshake, the two relays, and how to tell the client why it was closed.
/// </summary>
internal abstract partial class AgentSession(AgentContext ctx, AgentDatabase db, UserIdentity identity, string clientAddress) : IDisposable
{
    private RbacEvaluator? _rbac;
    private IDisposable? _sessionSlot;

    /// <summary>
    /// True when <see cref="CheckAccessAsync"/> refused because the user holds the most sessions on this database
    /// that a role's <c>max_sessions</c> allows: the protocol answers "too many connections", not "access denied".
    /// </summary>
    protected bool DeniedForSessionLimit { get; private set; }

    /// <summary>True when <see cref="CheckAccessAsync"/> refused because the user's egress budget is spent.</summary>
    protected bool DeniedForEgress { get; private set; }

    /// <summary>True when <see cref="CheckAccessAsync"/> refused because the route requires session MFA and the certificate is not MFA-verified.</summary>
    protected bool DeniedForMfa { get; private set; }

    /// <summary>The <see cref="AgentRefusals"/> reason of the last <see cref="CheckAccessAsync"/> refusal.</summary>
    protected string DenialRefusal => DeniedForEgress ? AgentRefusals.Egress : DeniedForSessionLimit ? AgentRefusals.SessionLimit : DeniedForMfa ? AgentRefusals.MfaRequired : AgentRefusals.AccessDenied;

    protected AgentContext Ctx { get; } = ctx;

    protected AgentDatabase Db { get; } = db;

    protected UserIdentity Identity { get; } = identity;

    /// <summary>The user certificate (DER) the proxy forwarded: sent with db-client certificate requests.</summary>
    public byte[] UserCertificate { get; init; } = [];

    protected SessionAudit Audit { get; } = new(ctx, db, identity, clientAddress);

    /// <summary>The user's roles, once <see cref="CheckAccessAsync"/> has read them.</summary>
    protected RbacEvaluator Rbac => _rbac ?? throw new InvalidOperationException("roles not read yet");

    /// <summary>Counts and logs a refusal inside a running session (a command or a state RBAC does not allow).</summary>
    protected void RecordRefusal(string refusal, string detail) => AgentRefusals.Record(Ctx, refusal, Db.Name, clientAddress, detail);

    /// <summary>What the protocol calls the name RBAC checks besides the db user: "db name" (PostgreSQL), "schema" (MySQL).</summary>
    protected abstract string DbNameNoun { get; }

    /// <summary>Reads a client or server stream without holding a buffer while it is idle (<see cref="RelayIo.ReaderFor"/>).</summary>
    protected static PipeReader ReaderFor(Stream stream) => RelayIo.ReaderFor(stream);

    /// <summary>Null when no lock covers the session and RBAC lets the db user open <see cref="SessionAudit.DbName"/>; else why not.</summary>
    protected async Task<string?> CheckAccessAsync(CancellationToken ct)
    {
        var lockReason = Ctx.Authority.FindLock(Identity, Db.Name);
        if (lockReason is not null)
        {
            return lockReason;
        }
        var roles = await Ctx.Authority.GetRolesAsync(Identity.Roles, ct);
        // A certificate elevated by a request for resources allows nothing outside them (the auth service names only the
        // routed database there; checked again here).
        _rbac = new RbacEvaluator(roles, Identity.Traits, Identity.ResourceIds, limitedRoles: null);
        return CheckDbName(Audit.DbName) ?? CheckSessionMfa() ?? (CheckEgress() is { } spent ? EgressDenied(spent) : null) ?? TakeSessionSlot();
    }

    /// <summary>
    /// Null unless a role granting this route sets <c>require_session_mfa</c> and the certificate is not MFA-verified
    /// (only the auth service's session MFA check issues such certificates, for a minute); else how to pass it.
    /// </summary>
    private string? CheckSessionMfa()
    {
        if (Identity.MfaVerified || !_rbac!.RequiresSessionMfa(new DatabaseTarget(Db.Name, Db.Labels), Audit.DbUser, Audit.DbName))
        {
            return null;
        }
        DeniedForMfa = true;
        return $"database \"{Db.Name}\" requires MFA per session and this certificate is not MFA-verified: connect with `ferry db connect {Db.Name}` or `ferry proxy db {Db.Name}`, which ask for a one-time code";
    }

    /// <summary>
    /// When the agent ends the session: the certificate's NotAfter, or for a session-MFA certificate (which opens
    /// connections for a minute) its session limit, capped by the roles' <c>max_session_ttl</c> from its issue.
    /// </summary>
    private DateTimeOffset SessionEnd()
    {
        if (!Identity.MfaVerified || Identity.SessionNotAfter is not { } limit || limit <= Identity.NotAfter)
        {
            return Identity.NotAfter;
        }
        var cap = Identity.NotBefore + (_rbac?.MaxSessionTtl ?? TimeSpan.Zero);
        return limit < cap ? limit : cap > Identity.NotAfter ? cap : Identity.NotAfter;
    }

    /// <summary>Counts the session against the user's sessions on this database; why not when the roles' <c>max_sessions</c> is reached.</summary>
    private string? TakeSessionSlot()
    {
        if (_sessionSlot is not null)
        {
            return null;
        }
        var limit = _rbac!.MaxSessions;
        _sessionSlot = Ctx.SessionLimits.TryAcquire(Identity.User, Db.Name, limit, out var held);
        if (_sessionSlot is not null)
        {
            return null;
        }
        DeniedForSessionLimit = true;
        return $"too many sessions: user \"{Identity.User}\" already has {held} on database \"{Db.Name}\", the most the roles allow (max_sessions {limit}): close one and retry";
    }

    private string EgressDenied(string reason)
    {
        DeniedForEgress = true;
        return $"egress budget spent on database \"{Db.Name}\": {reason}";
    }

    /// <summary>Gives the session's slot back (the session ended, or never started).</summary>
    public void Dispose() => _sessionSlot?.Dispose();

    /// <summary>After <see cref="CheckAccessAsync"/>: null when the db user may open <paramref name="name"/> (or no name) on this database; else why not.</summary>
    protected string? CheckDbName(string name)
    {
        var decision = _rbac!.Check(new DatabaseTarget(Db.Name, Db.Labels), Audit.DbUser, name);
        if (decision.Allowed)
        {
            return null;
        }
        return name.Length == 0
            ? $"access to database \"{Db.Name}\" as db user \"{Audit.DbUser}\" denied: {decision.Reason}"
            : $"access to database \"{Db.Name}\" as db user \"{Audit.DbUser}\" on {DbNameNoun} \"{name}\" denied: {decision.Reason}";
    }

    /// <summary>
    /// What the client is told when the agent ends the session at <see cref="SessionEnd"/>: for a certificate elevated
    /// by access requests (which ends no later than the grants), the requests by id.
    /// </summary>
    internal static string ExpiryMessage(UserIdentity identity) => identity.AccessRequestIds.Count switch
    {
        0 => "your certificate expired: run `ferry login`",
        1 => $"access request {identity.AccessRequestIds[0]} has expired (the certificate it elevated ended): ask again with `ferry request create`, or run `ferry login` for your own roles",
        _ => $"access requests {string.Join(", ", identity.AccessRequestIds)} have expired (the certificate they elevated ended): ask again with `ferry request create`, or run `ferry login` for your own roles",
    };

    private ITimer? ScheduleExpiry(LiveSession live)
    {
        var expired = ExpiryMessage(Identity);
        if (Identity.NotAfter == default)
        {
            return null;
        }
        var left = SessionEnd() - Ctx.Time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            live.Terminate(SessionEndReason.CertExpired, expired);
            return null;
        }
        return Ctx.Time.CreateTimer(_ => live.Terminate(SessionEndReason.CertExpired, expired), null, left, Timeout.InfiniteTimeSpan);
    }
}
