using Ferry.Audit;
using Ferry.Auth.AuditPipeline;
using Ferry.Identity;
using Ferry.Web;

namespace Ferry.Auth.Server;

/// <summary>The web UI's audit search and session playback: the very code of <c>/v1/audit/search</c> and <c>/v1/audit/sessions/{id}</c> (<see cref="AuditReading"/>).</summary>
internal sealed partial class WebAuthority
{
    /// <summary>The auth service's audit store (set by <see cref="AuthServer"/>); without it audit reads answer 503.</summary>
    internal ServerAuditPipeline? AuditPipeline { get; init; }

    public Task<WebAuditResult> SearchAuditAsync(UserIdentity user, WebAuditQuery query, CancellationToken ct) => Translate(async () =>
    {
        ArgumentNullException.ThrowIfNull(query);
        await AuditReading.RequireAuditorAsync(service, user, ct).ConfigureAwait(false);
        var now = service.Now;
        var since = AuditSearchQuery.ParseTime("from", query.From, now);
        var until = AuditSearchQuery.ParseTime("to", query.To, now);
        if (since is { } a && until is { } b && b <= a)
        {
            throw AuthException.BadRequest("to must be later than from");
        }

        // The newest matches: read up to the playback bound in time order and keep the last ones.
        var found = await AuditReading.SearchAsync(Pipeline(), new AuditQuery
        {
            User = query.User,
            Database = query.Database,
            Since = since,
            Until = until,
            Contains = query.Text,
            Limit = AuditReading.MaxSessionEvents,
        }, ct).ConfigureAwait(false);
        var newest = found.Skip(Math.Max(0, found.Count - query.Limit)).Reverse().ToList();
        return new WebAuditResult(newest, found.Count > query.Limit);
    });

    public Task<SessionPlaybackView> PlaybackAsync(UserIdentity user, string sessionId, CancellationToken ct) => Translate(async () =>
    {
        await AuditReading.RequireAuditorAsync(service, user, ct).ConfigureAwait(false);
        return await AuditReading.PlaybackAsync(Pipeline(), sessionId, null, null, ct).ConfigureAwait(false);
    });

    private ServerAuditPipeline Pipeline() =>
        AuditPipeline ?? throw new AuthException(503, "the audit store is not available in this process");
}
