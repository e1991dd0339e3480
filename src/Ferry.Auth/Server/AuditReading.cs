using Ferry.Audit;
using Ferry.Auth.AuditPipeline;
using Ferry.Identity;

namespace Ferry.Auth.Server;

/// <summary>
/// The one audit search and session playback of the auth service, used by <c>GET /v1/audit/search</c>,
/// <c>GET /v1/audit/sessions/{id}</c> and the web UI's <c>/web/api/audit/*</c>: who may read (roles with
/// <c>audit_search</c>, not locked), the flush before reading, the bounds.
/// </summary>
internal static class AuditReading
{
    /// <summary>Most events a playback reads for one session.</summary>
    public const int MaxSessionEvents = 100_000;

    /// <summary>403 unless one of the user's roles allows audit search; 403 when a lock covers the user.</summary>
    public static async Task RequireAuditorAsync(AuthService service, UserIdentity user, CancellationToken ct)
    {
        var roles = await service.ResolveRolesAsync(user.Roles, ct).ConfigureAwait(false);
        if (!roles.Any(r => r.Options.AuditSearch))
        {
            throw AuthException.Forbidden("your roles do not allow audit search: ask for a role with `options: { audit_search: true }`");
        }

        await service.RequireUserNotLockedAsync(user, ct).ConfigureAwait(false);
    }

    /// <summary>The matching events, oldest first (at most <see cref="AuditQuery.Limit"/>, the oldest ones).</summary>
    public static async Task<IReadOnlyList<AuditEvent>> SearchAsync(ServerAuditPipeline audit, AuditQuery query, CancellationToken ct)
    {
        await audit.FlushAsync(ct).ConfigureAwait(false);
        return await audit.Store.SearchAsync(query, ct).ConfigureAwait(false);
    }

    /// <summary>The playback of one session (<see cref="SessionPlayback"/>); 400 for a malformed id, 404 when no event names it.</summary>
    public static async Task<SessionPlaybackView> PlaybackAsync(ServerAuditPipeline audit, string id, DateTimeOffset? since, DateTimeOffset? until, CancellationToken ct)
    {
        if (id.Length is 0 or > 64)
        {
            throw AuthException.BadRequest("a session id is 1-64 characters");
        }

        await audit.FlushAsync(ct).ConfigureAwait(false);
        var events = await audit.Store.SearchAsync(new AuditQuery { SessionId = id, Since = since, Until = until, Limit = MaxSessionEvents }, ct).ConfigureAwait(false);
        if (events.Count == 0)
        {
            throw AuthException.NotFound($"no audit events for session \"{AuthService.Bounded(id)}\": check the id with `ferry audit search`");
        }

        return SessionPlayback.Build(id, events);
    }
}
