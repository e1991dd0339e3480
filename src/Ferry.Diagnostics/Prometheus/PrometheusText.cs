using System.Globalization;
using System.Text;

namespace Ferry.Diagnostics.Prometheus;

/// <summary>
/// The small pieces of the Prometheus text format: names, label sets, escaping and numbers.
/// <code>
/// # HELP ferry_sessions_total Database sessions ...
/// # TYPE ferry_sessions_total counter
/// ferry_sessions_total{database="pg1",protocol="postgres",result="established"} 3
/// </code>
/// </summary>
internal static class PrometheusText
{
    /// <summary>A valid metric name: characters outside <c>[a-zA-Z0-9_:]</c> become <c>_</c>; a counter ends in <c>_total</c>.</summary>
    public static string MetricName(string name, bool counter)
    {
        var sanitized = Sanitize(name, allowColon: true);
        return counter && !sanitized.EndsWith("_total", StringComparison.Ordinal) ? sanitized + "_total" : sanitized;
    }

    /// <summary>Renders tags as <c>a="x",b="y"</c>, sorted by name; null values are left out.</summary>
    public static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }
        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder(64);
        foreach (var (key, value) in sorted)
        {
            if (value is null)
            {
                continue;
            }
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(Sanitize(key, allowColon: false)).Append("=\"");
            AppendLabelValue(text, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
            text.Append('"');
        }
        return text.ToString();
    }

    /// <summary>One sample line: <c>name{labels,le="x"} value</c>.</summary>
    public static void Sample(StringBuilder text, string name, string suffix, string labels, string? le, double value)
    {
        text.Append(name).Append(suffix);
        if (labels.Length > 0 || le is not null)
        {
            text.Append('{').Append(labels);
            if (le is not null)
            {
                if (labels.Length > 0)
                {
                    text.Append(',');
                }
                text.Append("le=\"").Append(le).Append('"');
            }
            text.Append('}');
        }
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>HELP text escapes backslash and line feed.</summary>
    public static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    private static void AppendLabelValue(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                _ => text.Append(c),
            };
        }
    }

    private static string Sanitize(string name, bool allowColon)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            var ok = char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                chars[i] = '_';
            }
        }
        return chars.Length == 0 ? "_" : new string(chars);
    }
}
