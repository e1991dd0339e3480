using System.Globalization;
using System.Text;

namespace Ferry.Text;

/// <summary>
/// Durations as text, the one grammar for <c>ferry.yaml</c>, role options, token TTLs and search windows:
/// numbers with units <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>, concatenated (<c>1h30m</c>, <c>1.5h</c>, <c>500ms</c>).
/// </summary>
public static class DurationText
{
    /// <summary>Longer totals do not parse: far beyond any setting, and well inside <see cref="TimeSpan.MaxValue"/>.</summary>
    private static readonly double MaxSeconds = TimeSpan.MaxValue.TotalSeconds / 2;

    /// <summary>Parses a duration (surrounding spaces allowed); false for anything else, a negative or an overflowing total.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.AsSpan().Trim();
        var total = TimeSpan.Zero;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(s[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            var unit = s[unitStart..i];
            double unitSeconds = unit switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3_600,
                "d" => 86_400,
                _ => 0,
            };
            if (unitSeconds == 0 || !(n * unitSeconds <= MaxSeconds - total.TotalSeconds))
            {
                return false;
            }

            total += unit switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
        }

        value = total;
        return true;
    }

    /// <summary>Short human durations for messages: "45s", "3m", "2h5m", "3d4h"; the sign is dropped and at least "1s" is shown.</summary>
    public static string Format(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = span.Negate();
        }

        var c = CultureInfo.InvariantCulture;
        if (span.TotalSeconds < 60)
        {
            return string.Create(c, $"{Math.Max(1, (int)span.TotalSeconds)}s");
        }

        if (span.TotalMinutes < 60)
        {
            return string.Create(c, $"{(int)span.TotalMinutes}m");
        }

        if (span.TotalHours < 24)
        {
            return span.Minutes == 0 ? string.Create(c, $"{(int)span.TotalHours}h") : string.Create(c, $"{(int)span.TotalHours}h{span.Minutes}m");
        }

        return span.Hours == 0 ? string.Create(c, $"{(int)span.TotalDays}d") : string.Create(c, $"{(int)span.TotalDays}d{span.Hours}h");
    }

    /// <summary>
    /// The shortest exact form in whole seconds that <see cref="TryParse"/> reads back, for files Ferry writes:
    /// <c>1h30m</c>, <c>26h</c>, <c>90s</c>; "0s" for zero or less.
    /// </summary>
    public static string FormatExact(TimeSpan value)
    {
        var seconds = (long)value.TotalSeconds;
        if (seconds <= 0)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        Append(sb, ref seconds, 3_600, 'h');
        Append(sb, ref seconds, 60, 'm');
        Append(sb, ref seconds, 1, 's');
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, ref long seconds, long unit, char suffix)
    {
        if (seconds >= unit)
        {
            sb.Append((seconds / unit).ToString(CultureInfo.InvariantCulture)).Append(suffix);
            seconds %= unit;
        }
    }
}
