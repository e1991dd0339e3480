using Ferry.Diagnostics;
using Ferry.Identity;

namespace Ferry.Proxy;

/// <summary>
/// The proxy's refusal reasons: the <c>reason</c> label of <c>ferry_refusals_total{side="proxy"}</c>, the
/// word in the ConnectionRefused log event and the <c>reason</c> detail of the audit event. One fixed
/// vocabulary, listed in docs/metrics.md.
/// </summary>
internal static class Refusals
{
    public const string TlsRequired = "tls_required";
    public const string BadStartup = "bad_startup";
    public const string StartupTimeout = "startup_timeout";
    public const string Certificate = "certificate";
    public const string NotRouted = "not_routed";
    public const string Locked = "locked";
    public const string NoAgent = "no_agent";
    public const string AgentsFailed = "agents_failed";

    /// <summary>The certificate's route names a database of the other protocol (a MySQL client with a PostgreSQL route or the reverse).</summary>
    public const string WrongProtocol = "wrong_protocol";

    /// <summary>A handshake packet over the pre-authentication size limit.</summary>
    public const string TooLarge = "too_large";

    /// <summary><c>proxy.max_connections</c> reached.</summary>
    public const string ConnectionLimit = "connection_limit";

    /// <summary><c>proxy.max_connections_per_source</c> reached for the client's address.</summary>
    public const string SourceConnectionLimit = "source_connection_limit";

    /// <summary>A CancelRequest whose key no session has (not counted in <c>ferry_refusals_total</c>: see <c>ferry_cancels_total</c>).</summary>
    public const string CancelUnknownKey = "cancel_unknown_key";

    /// <summary>A CancelRequest dropped by the throttle.</summary>
    public const string CancelThrottled = "cancel_throttled";

    public static bool IsCancel(string reason) => reason.StartsWith("cancel_", StringComparison.Ordinal);

    /// <summary>The reason of a denial from what the session knew: no verified identity, no route, or a lock.</summary>
    public static string Of(bool verified, string database) => !verified ? Certificate : database.Length == 0 ? NotRouted : Locked;

    /// <summary>
    /// Counts, logs and audits one refusal. The count is exact; the info log line and the audit event are
    /// aggregated per (reason, protocol, source address): the first in a window at once, the rest as one summary.
    /// </summary>
    public static void Record(ProxyContext ctx, string protocol, System.Net.IPEndPoint client, string reason, string detail,
        UserIdentity? identity = null, string database = "")
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Proxy, reason);
        if (ctx.RefusalAggregates.Occurred(new AggregateKey(reason, protocol, client.Address.ToString(), database), out var suppressed))
        {
            ProxyLog.Refused(ctx.Log, protocol, client.ToString(), reason, detail);
            ProxyAudit.Aggregated(ctx, protocol, identity, client.ToString(), database, reason, detail, suppressed);
        }
        else
        {
            ProxyLog.RefusedAgain(ctx.Log, protocol, client.ToString(), reason, detail);
        }
    }

    /// <summary>Counts and logs one refusal that the caller audits itself (a verified user's denial: one event each).</summary>
    public static void RecordUnaggregated(ProxyContext ctx, string protocol, System.Net.IPEndPoint client, string reason, string detail)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Proxy, reason);
        ProxyLog.Refused(ctx.Log, protocol, client.ToString(), reason, detail);
    }
}
