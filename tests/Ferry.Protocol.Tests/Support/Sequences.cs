using System.Buffers;

namespace Ferry.Protocol.Tests.Support;

/// <summary>Builds multi-segment sequences ("gratuitously split buffers").</summary>
internal static class Sequences
{
    /// <summary>Splits <paramref name="data"/> at the given ascending offsets (each chunk its own array).</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> data, params int[] offsets)
    {
        var chunks = new List<byte[]>();
        int start = 0;
        foreach (int offset in offsets)
        {
            chunks.Add(data[start..offset].ToArray());
            start = offset;
        }

        chunks.Add(data[start..].ToArray());
        return FromChunks(chunks);
    }

    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> data)
    {
        var chunks = new List<byte[]>(data.Length);
        foreach (byte b in data)
        {
            chunks.Add([b]);
        }

        return FromChunks(chunks);
    }

    public static ReadOnlySequence<byte> FromChunks(IReadOnlyList<byte[]> chunks)
    {
        if (chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new BufferSegment(chunks[0]);
        BufferSegment last = first;
        for (int i = 1; i < chunks.Count; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
