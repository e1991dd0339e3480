using System.Globalization;
using System.Text;

namespace Ferry.Client.Api;

/// <summary>Filters of <c>GET /v1/audit/search</c>; <c>since</c>/<c>until</c> are a time or a duration back from now (<c>1h</c>).</summary>
public sealed class AuditSearch
{
    public string? Since { get; init; }

    public string? Until { get; init; }

    public string? User { get; init; }

    public string? Database { get; init; }

    public string? Type { get; init; }

    public string? Contains { get; init; }

    public string? SessionId { get; init; }

    public int? Limit { get; init; }

    /// <summary>"?since=1h&amp;user=alice…" (or "" with no filter), every value escaped.</summary>
    public string ToQueryString()
    {
        var sb = new StringBuilder();
        Add(sb, "since", Since);
        Add(sb, "until", Until);
        Add(sb, "user", User);
        Add(sb, "db", Database);
        Add(sb, "type", Type);
        Add(sb, "contains", Contains);
        Add(sb, "session_id", SessionId);
        Add(sb, "limit", Limit?.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static void Add(StringBuilder sb, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        sb.Append(sb.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }
}
