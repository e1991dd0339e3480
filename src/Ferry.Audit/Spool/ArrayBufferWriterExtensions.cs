using System.Buffers;
using System.Runtime.InteropServices;

namespace Ferry.Audit;

/// <summary>Writable access to already-written bytes of an <see cref="ArrayBufferWriter{T}"/> (to backfill headers).</summary>
internal static class ArrayBufferWriterExtensions
{
    public static Span<byte> GetSpanAt(this ArrayBufferWriter<byte> buffer, int start) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(buffer.WrittenSpan), buffer.WrittenCount)[start..];
}
