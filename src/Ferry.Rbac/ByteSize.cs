using System.Globalization;

namespace Ferry.Rbac;

/// <summary>
/// Sizes in role options (<c>max_query_bytes</c>, egress <c>bytes</c>): a whole number with an optional unit,
/// <c>B</c>, <c>KB</c>/<c>KiB</c>, <c>MB</c>/<c>MiB</c>, <c>GB</c>/<c>GiB</c>, <c>TB</c>/<c>TiB</c> (all powers of 1024,
/// as elsewhere in Ferry's configuration), from 1 byte to <see cref="RoleOptions.MaxQueryBytesLimit"/>.
/// </summary>
public static class ByteSize
{
    /// <summary>Parses a size; false on malformed input, zero, overflow or more than the limit.</summary>
    public static bool TryParse(string text, out long value)
    {
        value = 0;
        var s = text.AsSpan().Trim();
        var i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        if (i is 0 or > 16 || !long.TryParse(s[..i], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        var shift = s[i..].Trim() switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KiB" => 10,
            "M" or "MB" or "MiB" => 20,
            "G" or "GB" or "GiB" => 30,
            "T" or "TB" or "TiB" => 40,
            _ => -1,
        };
        if (shift < 0 || n == 0 || n > RoleOptions.MaxQueryBytesLimit >> shift)
        {
            return false;
        }

        value = n << shift;
        return true;
    }

    /// <summary>Formats a size in the largest unit that divides it exactly (<c>50MB</c>); <see cref="TryParse"/> reads it back.</summary>
    public static string Format(long value)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        var u = 0;
        while (u < units.Length - 1 && value != 0 && value % 1024 == 0)
        {
            value /= 1024;
            u++;
        }

        return value.ToString(CultureInfo.InvariantCulture) + units[u];
    }
}
