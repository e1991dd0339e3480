using System.Globalization;
using Ferry.Audit;
using Ferry.Auth.Users;
using Ferry.Diagnostics;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>Longest user name or address text written into a login failure's audit event or log line.</summary>
    internal const int MaxAuditedFieldLength = 128;

    /// <summary>Why a login was refused: the <c>ferry_refusals_total{side="auth"}</c> reason.</summary>
    public static class LoginRefusal
    {
        public const string InvalidRequest = "login_invalid_request";
        public const string RequestTooLarge = "request_too_large";
        public const string Throttled = "login_throttled";
        public const string InvalidCredentials = "login_failed";
    }

    /// <summary>
    /// Counts a refused or failed login and audits it through the window aggregation (<see cref="LoginFailureAudit"/>):
    /// at most a bounded number of events per window, whatever the attempt rate; field values are truncated.
    /// </summary>
    internal void RecordLoginRefusal(string user, string clientAddr, string reason, string error)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Auth, reason);
        var boundedUser = Bounded(user);
        var boundedAddr = Bounded(clientAddr);
        if (_loginAudit.Record(boundedUser, boundedAddr, error))
        {
            Emit(AuditEventKinds.UserLoginFailure, boundedUser, false, error, boundedAddr, new() { ["method"] = "local", ["reason"] = reason });
        }
    }

    /// <summary>Writes the summaries of the closing window (one event per user, source and reason with the count).</summary>
    internal void FlushLoginAudit()
    {
        var (summaries, overflow) = _loginAudit.Flush();
        var window = ((long)_options.Throttle.AuditWindow.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        foreach (var s in summaries)
        {
            Emit(AuditEventKinds.UserLoginFailure, s.User, false, s.Reason, s.Source, new()
            {
                ["method"] = "local",
                ["summary"] = "true",
                ["count"] = s.Count.ToString(CultureInfo.InvariantCulture),
                ["window"] = window,
            });
            AuthLog.LoginFailuresSummarised(_log, s.User, s.Source, s.Reason, s.Count, window);
        }

        if (overflow > 0)
        {
            Emit(AuditEventKinds.UserLoginFailure, "", false, "too many distinct failed logins to list", "", new()
            {
                ["method"] = "local",
                ["summary"] = "true",
                ["count"] = overflow.ToString(CultureInfo.InvariantCulture),
                ["window"] = window,
            });
            AuthLog.LoginFailuresOverflow(_log, overflow, window);
        }

        FlushSsoLoginAudit();
    }

    internal static string Bounded(string value) =>
        value.Length <= MaxAuditedFieldLength ? value : string.Concat(value.AsSpan(0, MaxAuditedFieldLength), "…");
}
