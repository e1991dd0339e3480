using Ferry.Config;
using YamlDotNet.RepresentationModel;

namespace Ferry.Rbac;

/// <summary>Walks one YAML document and builds a <see cref="RoleDocument"/>, collecting errors.</summary>
internal sealed class RoleYamlReader(string source, List<RoleValidationError> errors)
{
    private const string QuoteHint = " (quote trait templates: \"{{internal.x}}\")";

    public RoleDocument? ReadRole(YamlNode root)
    {
        var before = errors.Count;
        if (root is not YamlMappingNode map)
        {
            Error(root, "", "a role must be a mapping with kind, name, options, allow and deny");
            return null;
        }

        string? kind = null, name = null, description = null;
        var options = RoleOptions.Default;
        var allow = RoleConditions.Empty;
        var deny = RoleConditions.Empty;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyOf(keyNode, "");
            switch (key)
            {
                case null:
                    break;
                case "kind":
                    kind = ReadString(value, "kind");
                    if (kind is not null && kind != "role")
                    {
                        Error(value, "kind", $"expected \"role\", got \"{kind}\"");
                    }

                    break;
                case "version":
                    var version = ReadString(value, "version");
                    if (version is not null && version != "v1")
                    {
                        Error(value, "version", $"unsupported version \"{version}\" (supported: v1)");
                    }

                    break;
                case "name":
                    name = ReadString(value, "name");
                    if (name is not null && !IsValidName(name))
                    {
                        Error(value, "name", "must be 1-128 characters of letters, digits, '_', '-', '.' or '@'");
                    }

                    break;
                case "description":
                    description = ReadString(value, "description");
                    break;
                case "options":
                    options = ReadOptions(value);
                    break;
                case "allow":
                    allow = ReadConditions(value, "allow");
                    break;
                case "deny":
                    deny = ReadConditions(value, "deny");
                    break;
                default:
                    Error(keyNode, key, "unknown field (expected kind, version, name, description, options, allow, deny)");
                    break;
            }
        }

        if (kind is null && !HasKey(map, "kind"))
        {
            Error(map, "kind", "missing (expected \"kind: role\")");
        }

        if (name is null && !HasKey(map, "name"))
        {
            Error(map, "name", "missing");
        }

        if (errors.Count > before || name is null)
        {
            return null;
        }

        return new RoleDocument(name, options, allow, deny) { Description = description };
    }

    private RoleOptions ReadOptions(YamlNode node)
    {
        if (StrictYaml.IsNull(node))
        {
            return RoleOptions.Default;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node, "options", "expected a mapping");
            return RoleOptions.Default;
        }

        TimeSpan? ttl = null, mfaWindow = null;
        int? maxSessions = null;
        bool mfa = false, audit = false, replication = false, selfApproval = false, readOnly = false;
        long? maxRows = null, maxBytes = null;
        TimeSpan? statementTimeout = null, idleTimeout = null;
        EgressLimit? egress = null;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyOf(keyNode, "options");
            var path = "options." + key;
            switch (key)
            {
                case null:
                    break;
                case "max_session_ttl":
                    var text = ReadString(value, path);
                    if (text is not null)
                    {
                        if (Duration.TryParse(text, out var parsed))
                        {
                            ttl = parsed;
                        }
                        else
                        {
                            Error(value, path, $"invalid duration \"{text}\" (examples: 8h, 30m, 1h30m)");
                        }
                    }

                    break;
                case "require_session_mfa":
                    mfa = ReadBool(value, path);
                    break;
                case "session_mfa_window":
                    mfaWindow = ReadSessionMfaWindow(value, path);
                    break;
                case "audit_search":
                    audit = ReadBool(value, path);
                    break;
                case "mysql_replication":
                    replication = ReadBool(value, path);
                    break;
                case "max_sessions":
                    maxSessions = ReadMaxSessions(value, path);
                    break;
                case "self_approval":
                    selfApproval = ReadBool(value, path);
                    break;
                case "max_query_rows":
                    maxRows = ReadRows(value, path);
                    break;
                case "max_query_bytes":
                    maxBytes = ReadSize(value, path);
                    break;
                case "statement_timeout":
                    statementTimeout = ReadBoundedDuration(value, path, RoleOptions.MaxStatementTimeout, "30s, 5m");
                    break;
                case "idle_timeout":
                    idleTimeout = ReadBoundedDuration(value, path, RoleOptions.MaxIdleTimeout, "15m, 1h");
                    break;
                case "read_only":
                    readOnly = ReadBool(value, path);
                    break;
                case "egress":
                    egress = ReadEgress(value, path);
                    break;
                default:
                    Error(keyNode, path, "unknown option (expected max_session_ttl, max_sessions, require_session_mfa, session_mfa_window, audit_search, mysql_replication, self_approval, max_query_rows, max_query_bytes, statement_timeout, idle_timeout, read_only, egress)");
                    break;
            }
        }

        return new RoleOptions(ttl, mfa, audit, maxSessions) { MySqlReplication = replication, SessionMfaWindow = mfaWindow, SelfApproval = selfApproval,
            MaxQueryRows = maxRows,
            MaxQueryBytes = maxBytes,
            StatementTimeout = statementTimeout,
            IdleTimeout = idleTimeout,
            ReadOnly = readOnly,
            Egress = egress,
        };
    }

    private long? ReadRows(YamlNode node, string path) => ReadCount(node, path, RoleOptions.MaxQueryRowsLimit, "rows");

    /// <summary>A whole number from 1 to <paramref name="max"/> (no sign, no exponent); else an error naming <paramref name="noun"/>.</summary>
    private long? ReadCount(YamlNode node, string path, long max, string noun)
    {
        var digits = max.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        if (node is YamlScalarNode { Value: { Length: > 0 } text } && text.Length <= digits && text.All(char.IsAsciiDigit)
            && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            && n >= 1 && n <= max)
        {
            return n;
        }

        Error(node, path, $"expected a whole number of {noun} from 1 to {max} (leave it out for no limit)");
        return null;
    }

    private long? ReadSize(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { Length: > 0 and <= 24 } text } && !StrictYaml.IsNull(node) && ByteSize.TryParse(text, out var n))
        {
            return n;
        }

        Error(node, path, $"expected a size from 1B to {ByteSize.Format(RoleOptions.MaxQueryBytesLimit)} (examples: 50MB, 1GB, 65536)");
        return null;
    }

    private TimeSpan? ReadBoundedDuration(YamlNode node, string path, TimeSpan max, string examples)
    {
        var text = ReadString(node, path);
        if (text is null)
        {
            return null;
        }

        if (!Duration.TryParse(text, out var value) || value > max)
        {
            Error(node, path, $"expected a duration from 1s to {Duration.Format(max)} (examples: {examples}), got \"{text}\"");
            return null;
        }

        return value;
    }

    private EgressLimit? ReadEgress(YamlNode node, string path)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "expected a mapping {rows: N, bytes: SIZE, per: DURATION}");
            return null;
        }

        long? rows = null, bytes = null;
        TimeSpan? per = null;
        var before = errors.Count;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyOf(keyNode, path);
            var childPath = path + "." + key;
            switch (key)
            {
                case null:
                    break;
                case "rows":
                    rows = ReadRows(value, childPath);
                    break;
                case "bytes":
                    bytes = ReadSize(value, childPath);
                    break;
                case "per":
                    per = ReadBoundedDuration(value, childPath, RoleOptions.MaxEgressWindow, "1h, 24h, 7d");
                    break;
                default:
                    Error(keyNode, childPath, "unknown field (expected rows, bytes, per)");
                    break;
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        if (per is null)
        {
            Error(map, path + ".per", "missing: the window the budget counts over (examples: 1h, 24h)");
            return null;
        }

        if (rows is null && bytes is null)
        {
            Error(map, path, "give rows, bytes or both");
            return null;
        }

        return new EgressLimit(rows, bytes, per.Value);
    }

    private TimeSpan? ReadSessionMfaWindow(YamlNode value, string path)
    {
        var text = ReadString(value, path);
        if (text is null)
        {
            return null;
        }

        if (!Duration.TryParse(text, out var window))
        {
            Error(value, path, $"invalid duration \"{text}\" (examples: 5m, 15m, 1h)");
            return null;
        }

        if (window < TimeSpan.FromSeconds(1) || window > RoleOptions.MaxSessionMfaWindow)
        {
            Error(value, path, $"must be between 1s and {Duration.Format(RoleOptions.MaxSessionMfaWindow)} (got {text})");
            return null;
        }

        return window;
    }

    private RoleConditions ReadConditions(YamlNode node, string path)
    {
        if (StrictYaml.IsNull(node))
        {
            return RoleConditions.Empty;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node, path, "expected a mapping with db_labels, db_names, db_users, request, review_requests");
            return RoleConditions.Empty;
        }

        var labels = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        IReadOnlyList<string> names = [];
        IReadOnlyList<string> users = [];
        RequestRules? request = null;
        ReviewRules? review = null;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyOf(keyNode, path);
            var childPath = path + "." + key;
            switch (key)
            {
                case null:
                    break;
                case "db_labels":
                    ReadLabels(value, childPath, labels);
                    break;
                case "db_names":
                    names = ReadStringList(value, childPath);
                    break;
                case "db_users":
                    users = ReadStringList(value, childPath);
                    break;
                case "request" or "review_requests" when path != "allow":
                    Error(keyNode, childPath, "only an allow block may hold " + key + " (a role that should not request or review simply leaves it out)");
                    break;
                case "request":
                    request = ReadRequestRules(value, childPath);
                    break;
                case "review_requests":
                    review = ReadReviewRules(value, childPath);
                    break;
                default:
                    Error(keyNode, childPath, "unknown field (expected db_labels, db_names, db_users" + (path == "allow" ? ", request, review_requests)" : ")"));
                    break;
            }
        }

        return new RoleConditions(labels, names, users) { Request = request, ReviewRequests = review };
    }

    private RequestRules? ReadRequestRules(YamlNode node, string path)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "expected a mapping with roles, search_as_roles, thresholds, max_duration, reason, suggested_reviewers");
            return null;
        }

        IReadOnlyList<string> roles = [], searchAs = [], reviewers = [];
        List<RequestThreshold> thresholds = [];
        TimeSpan? maxDuration = null;
        var reasonRequired = false;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyOf(keyNode, path);
            var childPath = path + "." + key;
            switch (key)
            {
                case null:
                    break;
                case "roles":
                    roles = ReadNameList(value, childPath, globs: true);
                    break;
                case "search_as_roles":
                    searchAs = ReadNameList(value, childPath, globs: false);
                    break;
                case "suggested_reviewers":
                    reviewers = ReadNameList(value, childPath, globs: false);
                    break;
                case "thresholds":
                    thresholds = ReadThresholds(value, childPath);
                    break;
                case "max_duration":
                    var text = ReadString(value, childPath);
                    if (text is null)
                    {
                        break;
                    }

                    if (!Duration.TryParse(text, out var d) || d > RequestRules.MaxDurationLimit)
                    {
                        Error(value, childPath, $"expected a duration from 1s to {Duration.Format(RequestRules.MaxDurationLimit)} (examples: 2h, 8h, 1d), got \"{text}\"");
                        break;
                    }

                    maxDuration = d;
                    break;
                case "reason":
                    var mode = ReadString(value, childPath);
                    if (mode is "required" or "optional")
                    {
                        reasonRequired = mode == "required";
                    }
                    else if (mode is not null)
                    {
                        Error(value, childPath, $"expected required or optional, got \"{mode}\"");
                    }

                    break;
                default:
                    Error(keyNode, childPath, "unknown field (expected roles, search_as_roles, thresholds, max_duration, reason, suggested_reviewers)");
                    break;
            }
        }

        if (roles.Count == 0 && searchAs.Count == 0)
        {
            Error(map, path, "give roles (roles one may ask for) or search_as_roles (roles a request for db/NAME resources is granted through), or both");
        }

        return new RequestRules(roles, searchAs, thresholds, maxDuration, reasonRequired, reviewers);
    }

    private List<RequestThreshold> ReadThresholds(YamlNode node, string path)
    {
        var list = new List<RequestThreshold>();
        if (node is not YamlSequenceNode seq)
        {
            Error(node, path, "expected a list of {approve: N, deny: M, filter: '…'}");
            return list;
        }

        if (seq.Children.Count > RequestRules.MaxEntries)
        {
            Error(node, path, $"at most {RequestRules.MaxEntries} thresholds");
            return list;
        }

        for (var i = 0; i < seq.Children.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            if (seq.Children[i] is not YamlMappingNode item)
            {
                Error(seq.Children[i], itemPath, "expected a mapping {approve: N, deny: M, filter: '…'}");
                continue;
            }

            int approve = 1, deny = 1;
            RequestPredicate? filter = null;
            foreach (var (keyNode, value) in item.Children)
            {
                var key = KeyOf(keyNode, itemPath);
                var childPath = itemPath + "." + key;
                switch (key)
                {
                    case null:
                        break;
                    case "approve":
                        approve = ReadCount(value, childPath);
                        break;
                    case "deny":
                        deny = ReadCount(value, childPath);
                        break;
                    case "filter":
                        filter = ReadPredicate(value, childPath, allowReviewer: false);
                        break;
                    default:
                        Error(keyNode, childPath, "unknown field (expected approve, deny, filter)");
                        break;
                }
            }

            list.Add(new RequestThreshold(approve, deny, filter));
        }

        return list;
    }

    private ReviewRules? ReadReviewRules(YamlNode node, string path)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "expected a mapping with roles and where");
            return null;
        }

        IReadOnlyList<string> roles = [];
        RequestPredicate? where = null;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyOf(keyNode, path);
            var childPath = path + "." + key;
            switch (key)
            {
                case null:
                    break;
                case "roles":
                    roles = ReadNameList(value, childPath, globs: true);
                    break;
                case "where":
                    where = ReadPredicate(value, childPath, allowReviewer: true);
                    break;
                default:
                    Error(keyNode, childPath, "unknown field (expected roles, where)");
                    break;
            }
        }

        if (roles.Count == 0)
        {
            Error(map, path + ".roles", "missing: the roles whose requests the holder may review (globs, e.g. [dba, \"prod-*\"])");
        }

        return new ReviewRules(roles, where);
    }

    private RequestPredicate? ReadPredicate(YamlNode node, string path, bool allowReviewer)
    {
        var text = ReadString(node, path);
        if (text is null)
        {
            return null;
        }

        var predicate = RequestPredicate.TryParse(text, allowReviewer, out var problem);
        if (predicate is null)
        {
            Error(node, path, "invalid expression: " + problem + " (example: contains(request.roles, \"dba\") && !equals(request.user, \"bot\"))");
        }

        return predicate;
    }

    private int ReadCount(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { Length: > 0 and <= 2 } text } && text.All(char.IsAsciiDigit)
            && int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) is var n and >= 1 and <= RequestThreshold.MaxCount)
        {
            return n;
        }

        Error(node, path, $"expected a whole number from 1 to {RequestThreshold.MaxCount}");
        return 1;
    }

    /// <summary>A list of role or user names (no trait templates); with <paramref name="globs"/> <c>*</c> is allowed.</summary>
    private IReadOnlyList<string> ReadNameList(YamlNode node, string path, bool globs)
    {
        var values = ReadStringList(node, path);
        if (values.Count > RequestRules.MaxEntries)
        {
            Error(node, path, $"at most {RequestRules.MaxEntries} entries");
            return [];
        }

        foreach (var v in values)
        {
            var check = globs ? v.Replace("*", "", StringComparison.Ordinal) : v;
            if ((check.Length > 0 || !globs) && !IsValidName(check))
            {
                Error(node, path, $"\"{v}\" is not a name: 1-128 letters, digits, '_', '-', '.' or '@'" + (globs ? " (and * wildcards)" : ""));
                return [];
            }
        }

        return values;
    }

    private void ReadLabels(YamlNode node, string path, Dictionary<string, IReadOnlyList<string>> labels)
    {
        if (StrictYaml.IsNull(node))
        {
            return;
        }

        if (node is not YamlMappingNode map)
        {
            Error(node, path, "expected a mapping of label name to a string or a list of strings");
            return;
        }

        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyOf(keyNode, path);
            if (key is null)
            {
                continue;
            }

            var childPath = path + "." + key;
            if (key.Length == 0)
            {
                Error(keyNode, childPath, "label name must not be empty");
                continue;
            }

            IReadOnlyList<string> values;
            if (value is YamlScalarNode)
            {
                var single = ReadString(value, childPath);
                values = single is null ? [] : [single];
            }
            else if (value is YamlSequenceNode)
            {
                values = ReadStringList(value, childPath);
            }
            else
            {
                Error(value, childPath, "expected a string or a list of strings" + (value is YamlMappingNode ? QuoteHint : ""));
                continue;
            }

            if (key == "*" && (values.Count != 1 || values[0] != "*"))
            {
                Error(value, childPath, "the wildcard label \"*\" only takes the value \"*\"");
                continue;
            }

            if (values.Count == 0)
            {
                Error(value, childPath, "expected at least one value");
                continue;
            }

            labels[key] = values;
        }
    }

    private IReadOnlyList<string> ReadStringList(YamlNode node, string path)
    {
        if (StrictYaml.IsNull(node))
        {
            return [];
        }

        if (node is YamlScalarNode)
        {
            var single = ReadString(node, path);
            return single is null ? [] : [single];
        }

        if (node is not YamlSequenceNode seq)
        {
            Error(node, path, "expected a list of strings" + (node is YamlMappingNode ? QuoteHint : ""));
            return [];
        }

        var list = new List<string>(seq.Children.Count);
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var itemPath = $"{path}[{i}]";
            if (item is not YamlScalarNode)
            {
                Error(item, itemPath, "expected a string" + (item is YamlMappingNode ? QuoteHint : ""));
                continue;
            }

            var value = ReadString(item, itemPath);
            if (value is null)
            {
                continue;
            }

            if (value.Length == 0)
            {
                Error(item, itemPath, "must not be empty");
                continue;
            }

            var problem = TraitTemplate.Validate(value);
            if (problem is not null)
            {
                Error(item, itemPath, problem);
                continue;
            }

            list.Add(value);
        }

        return list;
    }

    private string? ReadString(YamlNode node, string path)
    {
        if (node is YamlScalarNode scalar && scalar.Value is not null && !StrictYaml.IsNull(node))
        {
            return scalar.Value;
        }

        Error(node, path, "expected a string" + (node is YamlMappingNode ? QuoteHint : ""));
        return null;
    }

    private int? ReadMaxSessions(YamlNode node, string path) => (int?)ReadCount(node, path, RoleOptions.MaxSessionsLimit, "sessions");

    private bool ReadBool(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: "true" or "True" or "TRUE" })
        {
            return true;
        }

        if (node is YamlScalarNode { Value: "false" or "False" or "FALSE" })
        {
            return false;
        }

        Error(node, path, "expected true or false");
        return false;
    }

    private string? KeyOf(YamlNode keyNode, string parentPath)
    {
        if (keyNode is YamlScalarNode { Value: { } key })
        {
            return key;
        }

        Error(keyNode, parentPath, "keys must be plain strings");
        return null;
    }

    private static bool HasKey(YamlMappingNode map, string key) =>
        map.Children.Keys.Any(k => k is YamlScalarNode { Value: var v } && v == key);

    private static bool IsValidName(string name)
    {
        if (name.Length is 0 or > 128)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.' or '@'))
            {
                return false;
            }
        }

        return true;
    }

    private void Error(YamlNode node, string path, string message) =>
        errors.Add(new RoleValidationError(source, node.Start.Line, node.Start.Column, path, message));
}
