using Ferry.Audit;
using Ferry.Identity;

namespace Ferry.Web;

public partial interface IWebAuthority
{
    /// <summary>
    /// Audit search as <c>GET /v1/audit/search</c> (roles with <c>audit_search</c>, not locked; 403 otherwise): the newest
    /// <see cref="WebAuditQuery.Limit"/> matching events, newest first, and whether more matched.
    /// </summary>
    Task<WebAuditResult> SearchAuditAsync(UserIdentity user, WebAuditQuery query, CancellationToken ct);

    /// <summary>The playback of one session as <c>GET /v1/audit/sessions/{id}</c> (same rights; 404 when no event names it).</summary>
    Task<SessionPlaybackView> PlaybackAsync(UserIdentity user, string sessionId, CancellationToken ct);
}

/// <summary>A web audit search: exact user and database, a time range (RFC 3339 or a duration back from now), a text.</summary>
public sealed record WebAuditQuery(string? User, string? Database, string? From, string? To, string? Text, int Limit);

/// <summary>The events found (newest first) and whether more than <see cref="WebAuditQuery.Limit"/> matched.</summary>
public sealed record WebAuditResult(IReadOnlyList<AuditEvent> Events, bool More);
