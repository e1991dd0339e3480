using Ferry.Diagnostics;

namespace Ferry.Proxy;

/// <summary>
/// The proxy's refusal reasons: the <c>reason</c> label of <c>ferry_refusals_total{side="proxy"}</c> and
/// the word in the ConnectionRefused log event. One fixed vocabulary, listed in docs/metrics.md.
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

    /// <summary>The reason of a denial from what the session knew: no verified identity, no route, or a lock.</summary>
    public static string Of(bool verified, string database) => !verified ? Certificate : database.Length == 0 ? NotRouted : Locked;

    /// <summary>Counts and logs one refusal.</summary>
    public static void Record(ProxyContext ctx, string protocol, System.Net.IPEndPoint client, string reason, string detail)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Proxy, reason);
        ProxyLog.Refused(ctx.Log, protocol, client.ToString(), reason, detail);
    }
}
