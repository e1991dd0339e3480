namespace Ferry.Diagnostics.Prometheus;

/// <summary>
/// A measurement's tags as a dictionary key that costs no allocation: up to three tags whose values are
/// strings (what every Ferry instrument records). A measurement finds its series through it, so the label
/// text is rendered once per series, not once per measurement.
/// </summary>
internal readonly record struct TagKey(string? K0, string? V0, string? K1, string? V1, string? K2, string? V2)
{
    public static bool TryCreate(ReadOnlySpan<KeyValuePair<string, object?>> tags, out TagKey key)
    {
        key = default;
        if (tags.Length > 3)
        {
            return false;
        }
        Span<string?> parts = [null, null, null, null, null, null];
        for (var i = 0; i < tags.Length; i++)
        {
            if (tags[i].Value is not (string or null))
            {
                return false;
            }
            parts[2 * i] = tags[i].Key;
            parts[(2 * i) + 1] = (string?)tags[i].Value;
        }
        key = new TagKey(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]);
        return true;
    }
}
