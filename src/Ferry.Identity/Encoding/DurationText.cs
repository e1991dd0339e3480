using System.Globalization;

namespace Ferry.Identity;

/// <summary>Short human durations: "45s", "3m", "2h5m", "3d4h".</summary>
internal static class DurationText
{
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
}
