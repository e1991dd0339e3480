using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace Ferry.Auth.Users;

/// <summary>
/// Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, 6 digits, accepting
/// one step of clock skew either way. <see cref="Verify"/> returns the matched step so the caller can refuse a
/// code whose step is not newer than the last one accepted (no reuse within the window).
/// </summary>
internal static class Totp
{
    public const int StepSeconds = 30;
    public const int Digits = 6;
    public const int SecretBytes = 20;
    private const int Skew = 1;

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>The provisioning URI authenticator apps scan: <c>otpauth://totp/Ferry:alice?secret=...&amp;issuer=Ferry</c>.</summary>
    public static string EnrolmentUri(string issuer, string account, byte[] secret) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(account)}?secret={Base32.Encode(secret)}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";

    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The code for a step (RFC 4226 dynamic truncation).</summary>
    public static string Code(byte[] secret, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> mac = stackalloc byte[20];
        HMACSHA1.HashData(secret, counter, mac);
        var offset = mac[^1] & 0x0F;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(mac[offset..]) & 0x7FFF_FFFF) % 1_000_000;
        return binary.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Checks <paramref name="code"/> against the steps around <paramref name="now"/>; every candidate is compared
    /// in constant time and all are computed. Returns the matching step, or null.
    /// </summary>
    public static long? Verify(byte[] secret, string code, DateTimeOffset now)
    {
        Span<byte> given = stackalloc byte[Digits];
        var wellFormed = code.Length == Digits;
        for (var i = 0; i < Digits; i++)
        {
            var c = i < code.Length ? code[i] : '0';
            wellFormed &= char.IsAsciiDigit(c);
            given[i] = (byte)c;
        }

        long? match = null;
        var current = StepAt(now);
        Span<byte> expected = stackalloc byte[Digits];
        for (var step = current - Skew; step <= current + Skew; step++)
        {
            var text = Code(secret, step);
            for (var i = 0; i < Digits; i++)
            {
                expected[i] = (byte)text[i];
            }

            if (CryptographicOperations.FixedTimeEquals(expected, given) && match is null)
            {
                match = step;
            }
        }

        return wellFormed ? match : null;
    }
}
