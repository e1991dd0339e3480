using System.Buffers;
using System.IO.Compression;

namespace Ferry.Benchmarks.Codecs;

/// <summary>Loads the recorded sessions shipped with the protocol tests (gzipped), or from /work/shared/captures.</summary>
public static class CodecCaptures
{
    public static byte[] Load(string name)
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string gz = Path.Combine(dir.FullName, "tests", "Ferry.Protocol.Tests", "Captures", name + ".gz");
            if (File.Exists(gz))
            {
                using var file = File.OpenRead(gz);
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                using var memory = new MemoryStream();
                gzip.CopyTo(memory);
                return memory.ToArray();
            }
        }

        string shared = Path.Combine("/work/shared/captures", name);
        return File.Exists(shared) ? File.ReadAllBytes(shared) : throw new FileNotFoundException($"capture {name} not found");
    }

    /// <summary>Splits a buffer into segments of <paramref name="segmentSize"/> bytes, as a Pipe would hand them over.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, int segmentSize)
    {
        Segment first = new(data.AsMemory(0, Math.Min(segmentSize, data.Length)), 0);
        Segment last = first;
        for (int offset = segmentSize; offset < data.Length; offset += segmentSize)
        {
            last = last.Append(data.AsMemory(offset, Math.Min(segmentSize, data.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
