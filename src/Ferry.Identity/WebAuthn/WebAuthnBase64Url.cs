namespace Ferry.Identity.WebAuthn;

/// <summary>base64url without padding (RFC 4648 §5), as WebAuthn's JSON carries binary values.</summary>
public static class WebAuthnBase64Url
{
    public static string Encode(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes <paramref name="text"/> (at most <paramref name="maxBytes"/> decoded bytes); null when it is not base64url or too long.</summary>
    public static byte[]? TryDecode(string? text, int maxBytes)
    {
        if (text is null || text.Length > (maxBytes + 2) / 3 * 4 || text.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            return null;
        }

        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => "!" };
        try
        {
            var bytes = Convert.FromBase64String(padded);
            return bytes.Length <= maxBytes ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
