using Ferry.Text;

namespace Ferry.Rbac;

/// <summary>
/// Durations in role options, token TTLs and search windows: the <see cref="DurationText"/> grammar
/// (<c>8h</c>, <c>30m</c>, <c>1h30m</c>, <c>90s</c>, <c>2d</c>), limited to whole seconds from 1s to 3650 days.
/// </summary>
public static class Duration
{
    private static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    /// <summary>Parses a duration; returns false on any malformed input, zero, a fraction of a second or more than 3650 days.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        if (DurationText.TryParse(text, out value) && value > TimeSpan.Zero && value <= Max && value.Ticks % TimeSpan.TicksPerSecond == 0)
        {
            return true;
        }

        value = TimeSpan.Zero;
        return false;
    }

    /// <summary>Formats a duration in the shortest form <see cref="TryParse"/> reads back, e.g. <c>1h30m</c>.</summary>
    public static string Format(TimeSpan value) => DurationText.FormatExact(value);
}
