namespace Ferry.Rbac;

/// <summary>
/// Trait templates inside role values: <c>{{internal.NAME}}</c> or <c>{{external.NAME}}</c>, optionally
/// with a literal prefix and suffix (<c>dev_{{internal.team}}</c>). Internal traits come from the user
/// record and are keyed by NAME in the user's traits; external ones come from single sign-on claims and are
/// keyed <c>external.NAME</c> (<see cref="ExternalPrefix"/>), so a claim can never stand in for an internal
/// trait nor the other way round. A template whose trait is missing or empty expands to nothing.
/// </summary>
public static class TraitTemplate
{
    /// <summary>Prefix of the trait keys that hold single sign-on claims (<c>external.groups</c>).</summary>
    public const string ExternalPrefix = "external.";

    /// <summary>The trait key of claim <paramref name="claim"/>.</summary>
    public static string ExternalKey(string claim) => ExternalPrefix + claim;

    /// <summary>True for a trait name a claim or trait may have (letters, digits, '_', '-', '.').</summary>
    public static bool IsValidTraitName(string name) => name.Length > 0 && IsTraitName(name);

    /// <summary>Checks the template syntax of one value; returns null when valid, else a message.</summary>
    public static string? Validate(string value)
    {
        var open = value.IndexOf("{{", StringComparison.Ordinal);
        var close = value.IndexOf("}}", StringComparison.Ordinal);
        if (open < 0)
        {
            return close < 0 ? null : "unbalanced \"}}\" in trait template";
        }

        if (close < open)
        {
            return "unbalanced \"}}\" in trait template";
        }

        if (value.IndexOf("{{", open + 2, StringComparison.Ordinal) >= 0)
        {
            return "only one trait template per value is supported";
        }

        var inner = value.AsSpan(open + 2, close - open - 2).Trim();
        var dot = inner.IndexOf('.');
        if (dot < 0)
        {
            return $"trait template \"{value}\" must look like {{{{internal.NAME}}}} or {{{{external.NAME}}}}";
        }

        var ns = inner[..dot];
        var name = inner[(dot + 1)..];
        if (!ns.SequenceEqual("internal") && !ns.SequenceEqual("external"))
        {
            return $"trait template \"{value}\": namespace must be \"internal\" or \"external\"";
        }

        if (name.IsEmpty || !IsTraitName(name))
        {
            return $"trait template \"{value}\": trait name must use letters, digits, '_', '-' or '.'";
        }

        return null;
    }

    /// <summary>True when the value contains a template.</summary>
    public static bool IsTemplate(string value) => value.Contains("{{", StringComparison.Ordinal);

    /// <summary>Expands one value against traits; literal values expand to themselves.</summary>
    public static IEnumerable<string> Expand(string value, IReadOnlyDictionary<string, IReadOnlyList<string>> traits)
    {
        var open = value.IndexOf("{{", StringComparison.Ordinal);
        if (open < 0)
        {
            yield return value;
            yield break;
        }

        var close = value.IndexOf("}}", open, StringComparison.Ordinal);
        if (close < 0)
        {
            yield break;
        }

        var inner = value.AsSpan(open + 2, close - open - 2).Trim();
        var dot = inner.IndexOf('.');
        if (dot < 0)
        {
            yield break;
        }

        var external = inner[..dot].SequenceEqual("external");
        var name = inner[(dot + 1)..].ToString();
        if (!external && name.StartsWith(ExternalPrefix, StringComparison.Ordinal))
        {
            yield break; // {{internal.external.x}} must not reach a claim
        }

        if (!traits.TryGetValue(external ? ExternalPrefix + name : name, out var values))
        {
            yield break;
        }

        var prefix = value[..open];
        var suffix = value[(close + 2)..];
        foreach (var v in values)
        {
            if (v.Length > 0)
            {
                yield return string.Concat(prefix, v, suffix);
            }
        }
    }

    private static bool IsTraitName(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-' && c != '.')
            {
                return false;
            }
        }

        return true;
    }
}
