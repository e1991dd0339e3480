using System.Buffers;

namespace Ferry.Protocol.Tests.Support;

/// <summary>Reads one message and projects it to a comparable string while its buffer is alive.</summary>
internal delegate OperationStatus ProjectingReader(ref SequenceReader<byte> reader, out string projection);

/// <summary>
/// The codec contract, checked exhaustively on one encoded message: whole, split at every offset,
/// one byte per segment, and every truncated prefix (need more, nothing consumed).
/// </summary>
internal static class SplitHarness
{
    public static string ReadWhole(byte[] input, ProjectingReader read)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        Assert.Equal(OperationStatus.Done, read(ref reader, out string projection));
        Assert.Equal(input.Length, reader.Consumed);
        return projection;
    }

    public static void AssertEverySplit(byte[] input, ProjectingReader read, string expected, bool everyOffset = true)
    {
        Assert.Equal(expected, ReadWhole(input, read));

        if (everyOffset)
        {
            for (int offset = 1; offset < input.Length; offset++)
            {
                AssertReads(Sequences.Split(input, offset), read, expected, $"split at {offset}");
            }
        }

        AssertReads(Sequences.OneBytePerSegment(input), read, expected, "one byte per segment");

        for (int length = 0; length < input.Length; length++)
        {
            AssertNeedsMore(input.AsSpan(0, length).ToArray(), read, length);
            if (length > 1 && everyOffset)
            {
                AssertNeedsMore(Sequences.OneBytePerSegment(input.AsSpan(0, length)), read, length);
            }
        }
    }

    private static void AssertReads(ReadOnlySequence<byte> sequence, ProjectingReader read, string expected, string what)
    {
        var reader = new SequenceReader<byte>(sequence);
        Assert.True(read(ref reader, out string projection) == OperationStatus.Done, what);
        Assert.True(expected == projection, $"{what}: {projection}");
        Assert.True(reader.End, what);
    }

    private static void AssertNeedsMore(byte[] prefix, ProjectingReader read, int length) =>
        AssertNeedsMore(new ReadOnlySequence<byte>(prefix), read, length);

    private static void AssertNeedsMore(ReadOnlySequence<byte> prefix, ProjectingReader read, int length)
    {
        var reader = new SequenceReader<byte>(prefix);
        Assert.True(read(ref reader, out _) == OperationStatus.NeedMoreData, $"prefix of {length} bytes");
        Assert.True(reader.Consumed == 0, $"prefix of {length} bytes consumed {reader.Consumed}");
    }
}
