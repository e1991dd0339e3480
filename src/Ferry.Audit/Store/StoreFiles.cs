using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using ZstdSharp;

namespace Ferry.Audit;

/// <summary>
/// File layout of the store directory:
/// <c>seg-N.log</c> active segment (framed records), <c>seg-N.zst</c> sealed segment (zstd of the
/// same bytes), <c>seg-N.idx</c> its index, <c>checkpoint.json</c> the checkpoint.
/// Store record payload: 32-byte chain hash, then the event's canonical JSON.
/// </summary>
internal static class StoreFiles
{
    public const int HashSize = 32;
    public const string CheckpointName = "checkpoint.json";

    public static ReadOnlySpan<byte> Magic => "FRYAUD01"u8;

    public static string Log(string dir, long n) => Path.Combine(dir, $"seg-{n:D10}.log");

    public static string Sealed(string dir, long n) => Path.Combine(dir, $"seg-{n:D10}.zst");

    public static string Index(string dir, long n) => Path.Combine(dir, $"seg-{n:D10}.idx");

    /// <summary>Segment numbers of files with <paramref name="extension"/> (".zst" or ".log"), ascending.</summary>
    public static List<long> List(string dir, string extension)
    {
        var list = new List<long>();
        foreach (string path in Directory.EnumerateFiles(dir, "seg-*" + extension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                list.Add(n);
            }
        }

        list.Sort();
        return list;
    }

    /// <summary>Uncompressed bytes of segment <paramref name="n"/> (sealed or active).</summary>
    public static byte[] ReadSegment(string dir, long n, bool isSealed)
    {
        if (!isSealed)
        {
            using var f = new FileStream(Log(dir, n), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            byte[] raw = new byte[f.Length];
            f.ReadExactly(raw);
            return raw;
        }

        byte[] compressed = File.ReadAllBytes(Sealed(dir, n));
        using var d = new Decompressor();
        // Into an array of the frame's own size: Unwrap's span is over an array of its own, and copying it out would
        // allocate the whole segment twice.
        ulong size = Decompressor.GetDecompressedSize(compressed);
        if (size > (ulong)Array.MaxLength)
        {
            throw new InvalidDataException($"sealed segment {n} declares {size} bytes, more than one segment can hold");
        }

        byte[] segment = new byte[size];
        int written = d.Unwrap(compressed, segment, 0);
        return written == segment.Length ? segment : throw new InvalidDataException($"sealed segment {n} decompressed to {written} bytes, not the {size} its frame declares");
    }

    /// <summary>Largest segment <see cref="CompressAtomic"/> compresses in one call over the mapped file (a span's limit, with room for the bound).</summary>
    internal const long MaxMappedBytes = 1L << 30;

    /// <summary>
    /// Compresses the file at <paramref name="source"/> into <paramref name="path"/> (atomically, as
    /// <see cref="WriteAtomic(string, byte[], bool)"/>) as one zstd frame that declares its size. Neither the segment
    /// nor its compressed form is ever an array on the heap: up to <see cref="MaxMappedBytes"/> the segment is mapped and
    /// compressed in one call (zstd's one-shot path over contiguous input costs about 30-40% less CPU than streaming it
    /// through a window, see perf/results/2026-12-06-seal-mapped.md); larger ones stream. <paramref name="streamed"/> forces
    /// streaming (tests compare the two).
    /// </summary>
    public static void CompressAtomic(string source, string path, int level, bool fsync, bool streamed = false)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        long length = input.Length;
        WriteAtomic(path, fsync, f =>
        {
            if (!streamed && length is > 0 and <= MaxMappedBytes)
            {
                CompressMapped(input, length, f, level);
                return;
            }

            using var z = new CompressionStream(f, level, leaveOpen: true);
            z.SetPledgedSrcSize((ulong)length);
            input.CopyTo(z, 1 << 20);
        });
    }

    /// <summary>
    /// zstd one-shot of the first <paramref name="length"/> bytes of <paramref name="input"/>, written to
    /// <paramref name="output"/>. The input is mapped read-only (its pages are the page cache's, already there: the
    /// segment was just written); the frame goes into native memory of zstd's bound, of which only the frame's pages are
    /// ever touched, freed before this returns. Not a mapped output file: a full disk must fail the write with an
    /// <see cref="IOException"/> the store recovers from, never fault a page of a mapping.
    /// </summary>
    private static unsafe void CompressMapped(FileStream input, long length, FileStream output, int level)
    {
        using var compressor = new Compressor(level);
        nuint bound = checked((nuint)Compressor.GetCompressBoundLong((ulong)length));
        using var map = MemoryMappedFile.CreateFromFile(input, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* src = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref src);
        byte* frame = (byte*)NativeMemory.Alloc(bound);
        try
        {
            int written = compressor.Wrap(
                new ReadOnlySpan<byte>(src + view.PointerOffset, checked((int)length)),
                new Span<byte>(frame, checked((int)bound)));
            output.Write(new ReadOnlySpan<byte>(frame, written));
        }
        finally
        {
            NativeMemory.Free(frame);
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>Writes a file atomically: temp file, fsync, rename.</summary>
    public static void WriteAtomic(string path, byte[] data, bool fsync) => WriteAtomic(path, fsync, f => f.Write(data));

    private static void WriteAtomic(string path, bool fsync, Action<FileStream> write)
    {
        string tmp = path + ".tmp";
        using (var f = Ferry.Text.OwnerOnlyFiles.Open(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(f);
            if (fsync)
            {
                f.Flush(flushToDisk: true);
            }
        }

        File.Move(tmp, path, overwrite: true);
    }

    public static StoreCheckpoint? ReadCheckpoint(string dir)
    {
        string path = Path.Combine(dir, CheckpointName);
        return File.Exists(path)
            ? JsonSerializer.Deserialize(File.ReadAllBytes(path), InternalJsonContext.Default.StoreCheckpoint)
            : null;
    }

    public static void WriteCheckpoint(string dir, StoreCheckpoint cp, byte[]? key, bool fsync)
    {
        cp.Mac = null;
        if (key is not null)
        {
            cp.Mac = Convert.ToHexStringLower(ComputeMac(cp, key));
        }

        WriteAtomic(Path.Combine(dir, CheckpointName), JsonSerializer.SerializeToUtf8Bytes(cp, InternalJsonContext.Default.StoreCheckpoint), fsync);
    }

    public static bool CheckMac(StoreCheckpoint cp, byte[] key)
    {
        string? mac = cp.Mac;
        if (mac is null)
        {
            return false;
        }

        cp.Mac = null;
        byte[] expected = ComputeMac(cp, key);
        cp.Mac = mac;
        return mac.Length == expected.Length * 2
            && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(mac), expected);
    }

    public static SegmentIndex? ReadIndex(string dir, long n)
    {
        string path = Index(dir, n);
        return File.Exists(path)
            ? JsonSerializer.Deserialize(File.ReadAllBytes(path), InternalJsonContext.Default.SegmentIndex)
            : null;
    }

    public static void WriteIndex(string dir, SegmentIndex index, bool fsync) =>
        WriteAtomic(Index(dir, index.Segment), JsonSerializer.SerializeToUtf8Bytes(index, InternalJsonContext.Default.SegmentIndex), fsync);

    /// <summary>hash = SHA-256(prev || canonical event bytes).</summary>
    public static void ChainHash(IncrementalHash sha, ReadOnlySpan<byte> prev, ReadOnlySpan<byte> json, Span<byte> destination)
    {
        sha.AppendData(prev);
        sha.AppendData(json);
        sha.GetHashAndReset(destination);
    }

    private static byte[] ComputeMac(StoreCheckpoint cp, byte[] key) =>
        HMACSHA256.HashData(key, JsonSerializer.SerializeToUtf8Bytes(cp, InternalJsonContext.Default.StoreCheckpoint));
}
