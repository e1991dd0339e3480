using System.Collections.Concurrent;
using Ferry.Audit;
using Ferry.Auth.Hosts;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>At most this many sessions per agent report.</summary>
    public const int MaxReportedSessions = 10_000;

    /// <summary>How long the session lock made by <c>ferry sessions end</c> stays (the session id never comes back).</summary>
    private static readonly TimeSpan SessionLockTtl = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, (DateTimeOffset Expires, List<LiveSessionInfo> Sessions)> _liveSessions = new(StringComparer.Ordinal);

    /// <summary>
    /// <c>POST /v1/agents/sessions</c>: the sessions an agent relays now, replacing its previous report until the report's
    /// TTL lapses (an agent that dies drops out then). Only sessions on databases bound to the agent are kept, with
    /// bounded fields; the rest are refused (audited once a minute, logged, counted). Kept in memory: live sessions are
    /// not state worth a write, and every agent reports again within seconds of an auth service restart.
    /// </summary>
    public async Task ReportLiveSessionsAsync(HostIdentity agent, LiveSessionsReport report, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(report);
        if (agent.Role != HostRole.Agent)
        {
            throw AuthException.Forbidden("only agents report live sessions");
        }

        if (report.Sessions.Count > MaxReportedSessions)
        {
            throw AuthException.BadRequest($"at most {MaxReportedSessions} sessions per report");
        }

        var bindings = await DatabaseBindingsAsync(ct).ConfigureAwait(false);
        var kept = new List<LiveSessionInfo>(report.Sessions.Count);
        string? why = null;
        foreach (var s in report.Sessions.DistinctBy(s => s.Id, StringComparer.Ordinal))
        {
            var refusal = LiveSessionRefusal(s, agent.HostId, bindings);
            if (refusal is null)
            {
                s.AgentId = agent.HostId;
                kept.Add(s);
            }
            else
            {
                why ??= refusal;
            }
        }

        ReplaceLiveSessions(agent.HostId, kept, TimeSpan.FromSeconds(Math.Clamp(report.TtlSeconds, 5, 600)));
        var refused = report.Sessions.Count - kept.Count;
        if (refused > 0)
        {
            ReportRefused(HostRefusals.AuditEventsRefused, "agent", agent.HostId, "live sessions", refused, "", clientAddr, why ?? "duplicate session ids");
        }
    }

    /// <summary>The in-process agent of <c>ferryd --all-in-one</c> reports here directly.</summary>
    public void ReplaceLiveSessions(string agentId, List<LiveSessionInfo> sessions, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        foreach (var s in sessions)
        {
            s.AgentId = agentId;
        }

        _liveSessions[agentId] = (Now + ttl, sessions);
    }

    private static string? LiveSessionRefusal(LiveSessionInfo s, string agentId, Dictionary<string, IReadOnlySet<string>> bindings)
    {
        if (s.Id.Length is 0 or > 64 || !s.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            || s.User.Length is 0 or > 256 || s.Roles.Count > 64 || s.Roles.Any(r => r.Length > 128)
            || (s.DbUser?.Length ?? 0) > 256 || (s.DbName?.Length ?? 0) > 256 || (s.ClientAddr?.Length ?? 0) > 128
            || s.Protocol is not (null or "postgres" or "mysql"))
        {
            return "not a valid live session entry (id 1-64 of letters, digits, '-_'; bounded fields)";
        }

        return bindings.TryGetValue(s.Database, out var owners) && owners.Contains(agentId)
            ? null
            : $"database \"{Bounded(s.Database)}\" is not served by this agent";
    }

    /// <summary>Every live session whose agent's report has not lapsed.</summary>
    internal List<LiveSessionInfo> AllLiveSessions()
    {
        var now = Now;
        var all = new List<LiveSessionInfo>();
        foreach (var (agent, entry) in _liveSessions)
        {
            if (entry.Expires <= now)
            {
                _liveSessions.TryRemove(KeyValuePair.Create(agent, entry));
                continue;
            }

            all.AddRange(entry.Sessions);
        }

        all.Sort((a, b) => a.Since.CompareTo(b.Since));
        return all;
    }

    /// <summary><c>GET /v1/sessions</c>: the caller's own live sessions, or every one for a role with <c>audit_search</c>.</summary>
    public async Task<LiveSessionsResponse> ListLiveSessionsAsync(UserIdentity user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await RequireUserNotLockedAsync(user, ct).ConfigureAwait(false);
        var roles = await ResolveRolesAsync(user.Roles, ct).ConfigureAwait(false);
        var all = roles.Any(r => r.Options.AuditSearch);
        return new LiveSessionsResponse { Sessions = [.. AllLiveSessions().Where(s => all || s.User == user.User)] };
    }

    /// <summary>
    /// <c>POST /v1/sessions/{id}/end</c>: an admin (the built-in <c>admin</c> role) ends a live session. A lock of kind
    /// <c>session</c> on its id reaches the agent through the lock watch; the agent ends the session with end reason
    /// <c>lock</c> and <paramref name="reason"/> as the message. Audited either way.
    /// </summary>
    public async Task<SessionEndResponse> EndLiveSessionAsync(UserIdentity user, string sessionId, string reason, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(sessionId);
        reason = (reason ?? "").Trim();
        var details = new Dictionary<string, string> { ["session"] = Bounded(sessionId), ["reason"] = Bounded(reason) };
        AuthException Refuse(AuthException e)
        {
            Emit(AuditEventKinds.SessionTerminateRefused, user.User, false, e.Message, clientAddr, details, user.Roles);
            Ferry.Diagnostics.FerryMetrics.Refused(Ferry.Diagnostics.FerryMetrics.Sides.Auth, "session_end");
            return e;
        }

        if (!user.Roles.Contains(BuiltInRoles.AdminName, StringComparer.Ordinal))
        {
            throw Refuse(AuthException.Forbidden("ending a session needs the admin role"));
        }

        await RequireUserNotLockedAsync(user, ct).ConfigureAwait(false);
        if (reason.Length is 0 or > 512)
        {
            throw Refuse(AuthException.BadRequest("--reason is required (1-512 characters): the user sees it"));
        }

        var live = AllLiveSessions().FirstOrDefault(s => s.Id == sessionId)
            ?? throw Refuse(AuthException.NotFound($"no live session \"{Bounded(sessionId)}\": see `ferry sessions ls`"));
        var l = await AddLockAsync(LockTargetKind.Session, sessionId, reason, SessionLockTtl, user.User, ct).ConfigureAwait(false);
        details["lock"] = l.Id;
        details["database"] = live.Database;
        details["session_user"] = live.User;
        details["agent"] = live.AgentId ?? "";
        AuthLog.SessionEndedByAdmin(_log, sessionId, live.User, live.Database, user.User);
        Emit(AuditEventKinds.SessionTerminate, user.User, true, null, clientAddr, details, user.Roles);
        return new SessionEndResponse { SessionId = sessionId, LockId = l.Id, User = live.User, Database = live.Database, AgentId = live.AgentId };
    }

}
