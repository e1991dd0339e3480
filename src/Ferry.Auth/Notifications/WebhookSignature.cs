using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ferry.Auth.Notifications;

/// <summary>
/// The <c>Ferry-Signature</c> header: <c>t=UNIX_SECONDS,v1=HEX</c> where HEX is the lower-case HMAC-SHA256, keyed with
/// the shared secret, of the ASCII text <c>UNIX_SECONDS</c>, a dot, and the exact body bytes. A receiver recomputes it,
/// compares in constant time, and refuses a <c>t</c> too far from its clock (replays).
/// </summary>
public static class WebhookSignature
{
    public const string HeaderName = "Ferry-Signature";

    public static string Create(ReadOnlySpan<byte> secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(secret, signed);
        return "t=" + unixSeconds.ToString(CultureInfo.InvariantCulture) + ",v1=" + Convert.ToHexStringLower(mac);
    }

    /// <summary>Checks a header against the body: true when well formed, within <paramref name="tolerance"/> of <paramref name="now"/>, and the MAC matches.</summary>
    public static bool Verify(ReadOnlySpan<byte> secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (header is null || header.Length > 256)
        {
            return false;
        }

        long? t = null;
        string? v1 = null;
        foreach (var part in header.Split(','))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal) && long.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
            {
                t = ts;
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
            {
                v1 = part[3..];
            }
        }

        if (t is not { } time || v1 is null || Math.Abs(now.ToUnixTimeSeconds() - time) > tolerance.TotalSeconds)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Create(secret, time, body));
        var given = Encoding.ASCII.GetBytes("t=" + time.ToString(CultureInfo.InvariantCulture) + ",v1=" + v1);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
