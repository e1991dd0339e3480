using System.Globalization;
using Ferry.Audit;
using Ferry.Identity;

namespace Ferry.Proxy;

/// <summary>
/// The audit events the proxy writes itself: sessions it refuses before they reach an agent, and cancel
/// requests it drops. Refusals of connections without a verified identity (no TLS, garbage, no route
/// served, connection caps, cancels) go through <see cref="ProxyContext.RefusalAggregates"/>: one event at
/// once per (reason, protocol, source address) and window, then one summary with the count.
/// </summary>
internal static class ProxyAudit
{
    /// <summary><c>db.session.start</c>, denied by the proxy (<c>server_id</c> is the proxy's id).</summary>
    public static void Denied(ProxyContext ctx, DatabaseProtocol protocol, UserIdentity? identity, string clientAddr, string database, string reason) =>
        Denied(ctx, protocol.ToName(), identity, clientAddr, database, reason, null);

    private static void Denied(ProxyContext ctx, string? protocol, UserIdentity? identity, string clientAddr, string database, string reason,
        IReadOnlyDictionary<string, string>? details)
    {
        var session = new DbSessionSubject(identity?.User, identity?.Roles, clientAddr,
            DbService: database.Length > 0 ? database : null, DbProtocol: protocol, AccessRequestIds: identity?.AccessRequestIds);
        var e = Factory(ctx).SessionDenied(session, reason);
        e.Details = details;
        ctx.Audit.Emit(e);
    }

    /// <summary>
    /// An aggregated refusal: <c>db.session.start</c> denied (or <c>db.session.cancel</c> <c>TDB03W</c> for a
    /// cancel reason), with details <c>reason</c> and, when earlier ones were only counted, <c>suppressed</c>.
    /// </summary>
    public static void Aggregated(ProxyContext ctx, string protocol, UserIdentity? identity, string clientAddr, string database, string reason, string detail, int suppressed)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal) { ["reason"] = reason };
        if (suppressed > 0)
        {
            details["suppressed"] = suppressed.ToString(CultureInfo.InvariantCulture);
        }
        Emit(ctx, protocol, identity, clientAddr, database, reason, detail, details);
    }

    /// <summary>Writes the summaries of every aggregate whose window has passed (called every window).</summary>
    public static void FlushAggregates(ProxyContext ctx)
    {
        foreach (var (key, count) in ctx.RefusalAggregates.Flush())
        {
            var details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["reason"] = key.Reason,
                ["count"] = count.ToString(CultureInfo.InvariantCulture),
            };
            var text = $"{count} more refusals ({key.Reason}) from {key.Source} in the last {ctx.RefusalAggregates.Window.TotalSeconds:0}s";
            Emit(ctx, key.Protocol, null, key.Source, key.Database, key.Reason, text, details);
            ProxyLog.RefusalsSummarised(ctx.Log, key.Protocol, key.Source, key.Reason, count);
        }
    }

    private static void Emit(ProxyContext ctx, string protocol, UserIdentity? identity, string clientAddr, string database, string reason, string detail,
        Dictionary<string, string> details)
    {
        if (Refusals.IsCancel(reason))
        {
            var e = Factory(ctx).Create(AuditEventKinds.DbSessionCancelRefused,
                new DbSessionSubject(ClientAddr: clientAddr, DbService: database.Length > 0 ? database : null, DbProtocol: DatabaseProtocol.Postgres.ToName()));
            e.Success = false;
            e.Error = detail;
            e.Details = details;
            ctx.Audit.Emit(e);
            return;
        }
        Denied(ctx, protocol is "postgres" or "mysql" ? protocol : null, identity, clientAddr, database, detail, details);
    }

    private static AuditEventFactory Factory(ProxyContext ctx) => new(AuditOrigin.Server(ctx.ClusterName, ctx.ProxyId), ctx.Time);
}
