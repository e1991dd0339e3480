using System.Globalization;
using System.Text;

namespace Ferry.Rbac;

/// <summary>Go-style durations as used in role options: <c>8h</c>, <c>30m</c>, <c>1h30m</c>, <c>90s</c>, <c>2d</c>.</summary>
public static class Duration
{
    /// <summary>Parses a duration; returns false on any malformed input, zero or overflow.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        long totalSeconds = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i == text.Length)
            {
                return false;
            }

            if (!long.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            long unit = text[i] switch
            {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => 0,
            };
            if (unit == 0 || n > 10_000_000)
            {
                return false;
            }

            totalSeconds += n * unit;
            i++;
        }

        if (totalSeconds <= 0 || totalSeconds > TimeSpan.FromDays(3650).TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(totalSeconds);
        return true;
    }

    /// <summary>Formats a duration in the shortest form <see cref="TryParse"/> reads back, e.g. <c>1h30m</c>.</summary>
    public static string Format(TimeSpan value)
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
