namespace Ferry.Rbac;

/// <summary>An allow or deny block after trait expansion.</summary>
internal sealed class ExpandedConditions
{
    private ExpandedConditions(
        IReadOnlyList<KeyValuePair<string, string[]>> labels, string[] names, string[] users)
    {
        Labels = labels;
        Names = names;
        Users = users;
    }

    /// <summary>Label selectors; a selector whose templates expanded to nothing has an empty array and matches nothing.</summary>
    public IReadOnlyList<KeyValuePair<string, string[]>> Labels { get; }

    public string[] Names { get; }

    public string[] Users { get; }

    public static ExpandedConditions Create(RoleConditions conditions, IReadOnlyDictionary<string, IReadOnlyList<string>> traits)
    {
        var labels = conditions.DbLabels
            .Select(p => new KeyValuePair<string, string[]>(p.Key, ExpandAll(p.Value, traits)))
            .ToArray();
        return new ExpandedConditions(labels, ExpandAll(conditions.DbNames, traits), ExpandAll(conditions.DbUsers, traits));
    }

    /// <summary>
    /// All selectors must match: the database has the label and its value matches one of the patterns.
    /// An empty selector set matches nothing. On success <paramref name="matched"/> describes the match, e.g. <c>env=prod</c>.
    /// </summary>
    public bool MatchLabels(DatabaseTarget db, out string matched)
    {
        matched = "";
        if (Labels.Count == 0)
        {
            return false;
        }

        var parts = new List<string>(Labels.Count);
        foreach (var (key, patterns) in Labels)
        {
            if (key == "*")
            {
                parts.Add("*=*");
                continue;
            }

            if (!db.Labels.TryGetValue(key, out var value) || !patterns.Any(p => Glob.IsMatch(p, value)))
            {
                return false;
            }

            parts.Add(key + "=" + value);
        }

        matched = string.Join(",", parts);
        return true;
    }

    public static bool MatchAny(string[] patterns, string value) => patterns.Any(p => Glob.IsMatch(p, value));

    private static string[] ExpandAll(IReadOnlyList<string> values, IReadOnlyDictionary<string, IReadOnlyList<string>> traits) =>
        values.SelectMany(v => TraitTemplate.Expand(v, traits)).Distinct(StringComparer.Ordinal).ToArray();
}
