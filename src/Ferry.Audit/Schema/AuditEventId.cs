using System.Security.Cryptography;

namespace Ferry.Audit;

/// <summary>
/// ULID ids: 48-bit Unix milliseconds + 80 bits, Crockford base32 (26 chars, sortable by time). The 80 bits are a
/// per-process value drawn once from the crypto RNG plus a counter (see <see cref="AuditEventIdGenerator"/>): no
/// system call per event.
/// </summary>
public static class AuditEventId
{
    internal const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private static readonly AuditEventIdGenerator Shared = new();

    /// <summary>A new ULID for the current time.</summary>
    public static string New() => New(DateTimeOffset.UtcNow);

    /// <summary>A new ULID for <paramref name="time"/>.</summary>
    public static string New(DateTimeOffset time) => Shared.New(time);

    /// <summary>The ULID of <paramref name="ms"/> (Unix milliseconds, 48 bits kept) and 80 further bits.</summary>
    internal static string Encode(long ms, ushort high, ulong low) =>
        Encode(((UInt128)(ulong)(ms & 0xFFFF_FFFF_FFFF) << 80) | ((UInt128)high << 64) | low);

    private static string Encode(UInt128 value)
    {
        return string.Create(26, value, static (chars, v) =>
        {
            for (int i = 25; i >= 0; i--)
            {
                chars[i] = Alphabet[(int)(v & 31)];
                v >>= 5;
            }
        });
    }

    /// <summary>
    /// A 128-bit key for deduplication: the ULID or GUID value when the id parses as one,
    /// otherwise the first 16 bytes of SHA-256 of the id.
    /// </summary>
    internal static UInt128 DedupeKey(string id)
    {
        if (id.Length == 26 && TryDecodeUlid(id, out UInt128 ulid))
        {
            return ulid;
        }

        if (Guid.TryParse(id, out Guid guid))
        {
            Span<byte> g = stackalloc byte[16];
            guid.TryWriteBytes(g, bigEndian: true, out _);
            return new UInt128(
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(g),
                System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(g[8..])) ^ ((UInt128)1 << 127);
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id), hash);
        return new UInt128(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash[8..]));
    }

    private static bool TryDecodeUlid(string id, out UInt128 value)
    {
        value = 0;
        foreach (char c in id)
        {
            int d = Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (d < 0)
            {
                return false;
            }

            value = (value << 5) | (uint)d;
        }

        return true;
    }
}
