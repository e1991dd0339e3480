using System.Globalization;
using Ferry.Audit;
using Ferry.Rbac;
using Microsoft.AspNetCore.Http;

namespace Ferry.Auth.Server;

/// <summary>
/// Query string of <c>GET /v1/audit/search</c>: <c>since</c>/<c>until</c> (RFC 3339 time or a duration back from now
/// such as <c>1h</c>), <c>user</c>, <c>db</c>, <c>type</c>, <c>contains</c>, <c>session_id</c>, <c>limit</c> (default 1000).
/// </summary>
internal static class AuditSearchQuery
{
    public static AuditQuery Parse(IQueryCollection q, DateTimeOffset now) => new()
    {
        Since = Time(q, "since", now),
        Until = Time(q, "until", now),
        User = Text(q, "user"),
        Database = Text(q, "db"),
        Type = Text(q, "type"),
        Contains = Text(q, "contains"),
        SessionId = Text(q, "session_id"),
        Limit = Text(q, "limit") is { } l
            ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100_000 ? n : throw AuthException.BadRequest("limit must be 1-100000")
            : 1000,
    };

    private static string? Text(IQueryCollection q, string name) =>
        q.TryGetValue(name, out var v) && v.Count > 0 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

    private static DateTimeOffset? Time(IQueryCollection q, string name, DateTimeOffset now) => ParseTime(name, Text(q, name), now);

    /// <summary>An RFC 3339 time or a duration back from <paramref name="now"/>; null for none; 400 naming <paramref name="name"/> otherwise.</summary>
    internal static DateTimeOffset? ParseTime(string name, string? text, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (Duration.TryParse(text, out var back))
        {
            return now - back;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        throw AuthException.BadRequest($"{name} \"{AuthService.Bounded(text)}\" is neither a time (2026-01-02T15:04:05Z) nor a duration (1h)");
    }
}
