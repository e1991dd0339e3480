using System.Globalization;

namespace Ferry.Client;

/// <summary>Short human durations: "45s", "3m", "2h5m", "3d4h".</summary>
public static class Durations
{
    public static string Format(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = span.Negate();
        }

        var c = CultureInfo.InvariantCulture;
        if (span.TotalMinutes < 1)
        {
            return ((int)span.TotalSeconds).ToString(c) + "s";
        }

        if (span.TotalHours < 1)
        {
            return ((int)span.TotalMinutes).ToString(c) + "m";
        }

        if (span.TotalDays < 1)
        {
            return span.Minutes == 0 ? ((int)span.TotalHours).ToString(c) + "h" : string.Create(c, $"{(int)span.TotalHours}h{span.Minutes}m");
        }

        return span.Hours == 0 ? ((int)span.TotalDays).ToString(c) + "d" : string.Create(c, $"{(int)span.TotalDays}d{span.Hours}h");
    }
}
