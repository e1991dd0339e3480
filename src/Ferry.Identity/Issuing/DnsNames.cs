namespace Ferry.Identity;

/// <summary>Validation of DNS names placed in subject alternative names (RFC 1123 labels, optional leading "*." wildcard).</summary>
internal static class DnsNames
{
    public static bool IsValid(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 253)
        {
            return false;
        }

        var span = name.AsSpan();
        if (span.StartsWith("*."))
        {
            span = span[2..];
        }

        foreach (var range in span.Split('.'))
        {
            var label = span[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
                {
                    return false;
                }
            }
        }

        return true;
    }
}
