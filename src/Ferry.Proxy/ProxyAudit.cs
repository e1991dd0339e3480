using Ferry.Audit;
using Ferry.Identity;

namespace Ferry.Proxy;

/// <summary>The audit events the proxy writes itself: sessions it refuses before they reach an agent.</summary>
internal static class ProxyAudit
{
    /// <summary><c>db.session.start</c>, denied by the proxy (<c>server_id</c> is the proxy's id).</summary>
    public static void Denied(ProxyContext ctx, DatabaseProtocol protocol, UserIdentity? identity, string clientAddr, string database, string reason)
    {
        var events = new AuditEventFactory(AuditOrigin.Server(ctx.ClusterName, ctx.ProxyId), ctx.Time);
        var session = new DbSessionSubject(identity?.User, identity?.Roles, clientAddr,
            DbService: database.Length > 0 ? database : null, DbProtocol: protocol.ToName());
        ctx.Audit.Emit(events.SessionDenied(session, reason));
    }
}
