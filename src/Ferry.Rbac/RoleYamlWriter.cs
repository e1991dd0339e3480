using System.Globalization;
using System.Text;

namespace Ferry.Rbac;

/// <summary>Writes a role as canonical YAML, every string double-quoted.</summary>
internal static class RoleYamlWriter
{
    public static string Write(RoleDocument role)
    {
        var sb = new StringBuilder();
        sb.Append("kind: role\n");
        sb.Append("version: v1\n");
        sb.Append("name: ").Append(Quote(role.Name)).Append('\n');
        if (role.Description is not null)
        {
            sb.Append("description: ").Append(Quote(role.Description)).Append('\n');
        }

        sb.Append("options:\n");
        if (role.Options.MaxSessionTtl is { } ttl)
        {
            sb.Append("  max_session_ttl: ").Append(Duration.Format(ttl)).Append('\n');
        }

        if (role.Options.MaxSessions is { } maxSessions)
        {
            sb.Append("  max_sessions: ").Append(maxSessions.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        sb.Append("  require_session_mfa: ").Append(role.Options.RequireSessionMfa ? "true" : "false").Append('\n');
        if (role.Options.SessionMfaWindow is { } window)
        {
            sb.Append("  session_mfa_window: ").Append(Duration.Format(window)).Append('\n');
        }

        sb.Append("  audit_search: ").Append(role.Options.AuditSearch ? "true" : "false").Append('\n');
        if (role.Options.MySqlReplication)
        {
            sb.Append("  mysql_replication: true\n");
        }

        if (role.Options.SelfApproval)
        {
            sb.Append("  self_approval: true\n");
        }

        WriteLimits(sb, role.Options);
        WriteConditions(sb, "allow", role.Allow);
        WriteConditions(sb, "deny", role.Deny);
        return sb.ToString();
    }

    private static void WriteLimits(StringBuilder sb, RoleOptions options)
    {
        if (options.MaxQueryRows is { } rows)
        {
            sb.Append("  max_query_rows: ").Append(rows.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        if (options.MaxQueryBytes is { } bytes)
        {
            sb.Append("  max_query_bytes: ").Append(ByteSize.Format(bytes)).Append('\n');
        }

        if (options.StatementTimeout is { } statement)
        {
            sb.Append("  statement_timeout: ").Append(Duration.Format(statement)).Append('\n');
        }

        if (options.IdleTimeout is { } idle)
        {
            sb.Append("  idle_timeout: ").Append(Duration.Format(idle)).Append('\n');
        }

        if (options.ReadOnly)
        {
            sb.Append("  read_only: true\n");
        }

        if (options.Egress is { } egress)
        {
            sb.Append("  egress:\n");
            if (egress.Rows is { } r)
            {
                sb.Append("    rows: ").Append(r.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            if (egress.Bytes is { } b)
            {
                sb.Append("    bytes: ").Append(ByteSize.Format(b)).Append('\n');
            }

            sb.Append("    per: ").Append(Duration.Format(egress.Per)).Append('\n');
        }
    }

    private static void WriteConditions(StringBuilder sb, string name, RoleConditions conditions)
    {
        if (conditions.IsEmpty)
        {
            return;
        }

        sb.Append(name).Append(":\n");
        if (conditions.DbLabels.Count > 0)
        {
            sb.Append("  db_labels:\n");
            foreach (var (key, values) in conditions.DbLabels.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                sb.Append("    ").Append(Quote(key)).Append(": ");
                WriteList(sb, values);
            }
        }

        if (conditions.DbNames.Count > 0)
        {
            sb.Append("  db_names: ");
            WriteList(sb, conditions.DbNames);
        }

        if (conditions.DbUsers.Count > 0)
        {
            sb.Append("  db_users: ");
            WriteList(sb, conditions.DbUsers);
        }

        if (conditions.Request is { } request)
        {
            sb.Append("  request:\n");
            if (request.Roles.Count > 0)
            {
                sb.Append("    roles: ");
                WriteList(sb, request.Roles);
            }

            if (request.SearchAsRoles.Count > 0)
            {
                sb.Append("    search_as_roles: ");
                WriteList(sb, request.SearchAsRoles);
            }

            if (request.Thresholds.Count > 0)
            {
                sb.Append("    thresholds:\n");
                foreach (var t in request.Thresholds)
                {
                    sb.Append("      - approve: ").Append(t.Approve.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    sb.Append("        deny: ").Append(t.Deny.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    if (t.Filter is { } filter)
                    {
                        sb.Append("        filter: ").Append(Quote(filter.Text)).Append('\n');
                    }
                }
            }

            if (request.MaxDuration is { } max)
            {
                sb.Append("    max_duration: ").Append(Duration.Format(max)).Append('\n');
            }

            sb.Append("    reason: ").Append(request.ReasonRequired ? "required" : "optional").Append('\n');
            if (request.SuggestedReviewers.Count > 0)
            {
                sb.Append("    suggested_reviewers: ");
                WriteList(sb, request.SuggestedReviewers);
            }
        }

        if (conditions.ReviewRequests is { } review)
        {
            sb.Append("  review_requests:\n");
            sb.Append("    roles: ");
            WriteList(sb, review.Roles);
            if (review.Where is { } where)
            {
                sb.Append("    where: ").Append(Quote(where.Text)).Append('\n');
            }
        }
    }

    private static void WriteList(StringBuilder sb, IReadOnlyList<string> values)
    {
        sb.Append('[');
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(Quote(values[i]));
        }

        sb.Append("]\n");
    }

    private static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case < ' ':
                    sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}
