using System.Buffers;
using System.Runtime.InteropServices;

namespace Ferry.Audit;

/// <summary>Writable access to already-written bytes of an <see cref="ArrayBufferWriter{T}"/> (to backfill headers).</summary>
internal static class ArrayBufferWriterExtensions
{
    public static Span<byte> GetSpanAt(this ArrayBufferWriter<byte> buffer, int start) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(buffer.WrittenSpan), buffer.WrittenCount)[start..];

    /// <summary>Forgets what was written from <paramref name="count"/> on (a rare path: it copies what it keeps).</summary>
    public static void Rewind(this ArrayBufferWriter<byte> buffer, int count)
    {
        byte[] kept = buffer.WrittenSpan[..count].ToArray();
        buffer.ResetWrittenCount();
        buffer.Write(kept);
    }
}
