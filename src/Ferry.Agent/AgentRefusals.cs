using Ferry.Diagnostics;

namespace Ferry.Agent;

/// <summary>
/// The agent's refusal reasons: the <c>reason</c> label of <c>ferry_refusals_total{side="agent"}</c> and
/// the word in the SessionRefused log event (docs/metrics.md lists them).
/// </summary>
internal static class AgentRefusals
{
    public const string Certificate = "certificate";
    public const string UnknownDatabase = "unknown_database";
    public const string AccessDenied = "access_denied";
    public const string SessionLimit = "session_limit";

    /// <summary>The user's egress budget (roles' <c>egress</c>) on the database is spent.</summary>
    public const string Egress = "egress";

    /// <summary>The route requires session MFA and the certificate is not MFA-verified.</summary>
    public const string MfaRequired = "mfa_required";
    public const string AuthorityUnavailable = "authority_unavailable";
    public const string DatabaseUnreachable = "database_unreachable";
    public const string DatabaseRefused = "database_refused";
    public const string MySqlCommand = "mysql_command";
    public const string MySqlSchema = "mysql_schema";

    /// <summary>A StartupMessage the agent cannot parse (after the proxy relayed it).</summary>
    public const string BadStartup = "bad_startup";

    /// <summary>Counts and logs one refusal.</summary>
    public static void Record(AgentContext ctx, string reason, string database, string client, string detail)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Agent, reason);
        AgentLog.SessionRefused(ctx.Log, database, client, reason, detail);
    }
}
