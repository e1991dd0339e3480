using System.Globalization;

namespace Ferry.Config;

/// <summary>Parsing of sizes (64KiB, 16MiB) and host:port; durations are <see cref="Ferry.Text.DurationText"/>.</summary>
public static class Units
{
    public static bool TryParseSize(string? text, out long value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var s = text.Trim();
        var i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }
        if (i == 0 || !long.TryParse(s.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }
        long mult = s[i..].Trim() switch
        {
            "" or "B" => 1,
            "KiB" or "K" or "KB" => 1024,
            "MiB" or "M" or "MB" => 1024 * 1024,
            "GiB" or "G" or "GB" => 1024L * 1024 * 1024,
            _ => 0,
        };
        if (mult == 0)
        {
            return false;
        }
        value = n * mult;
        return true;
    }

    public static bool TryParseHostPort(string? text, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var idx = text.LastIndexOf(':');
        if (idx <= 0 || idx == text.Length - 1)
        {
            return false;
        }
        host = text[..idx].Trim('[', ']');
        return int.TryParse(text.AsSpan(idx + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
    }
}
