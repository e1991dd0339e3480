using System.Buffers.Binary;
using System.Numerics;

namespace Ferry.Audit;

/// <summary>CRC-32C (Castagnoli) over a span, hardware accelerated where the CPU has it.</summary>
internal static class Crc32C
{
    /// <summary>The state before any byte (<see cref="Update"/> it, then <see cref="Finish"/> it).</summary>
    public const uint Initial = 0xFFFFFFFFu;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Initial, data));

    /// <summary>Continues <paramref name="crc"/> over <paramref name="data"/>: a record's CRC can be started outside a lock and ended inside.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    public static uint Finish(uint crc) => ~crc;
}
