using System.Globalization;
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

    /// <summary>
    /// Compresses the file at <paramref name="source"/> into <paramref name="path"/> (atomically, as
    /// <see cref="WriteAtomic(string, byte[], bool)"/>) as one zstd frame that declares its size, streaming: neither
    /// the segment nor its compressed form is ever whole in memory.
    /// </summary>
    public static void CompressAtomic(string source, string path, int level, bool fsync)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        WriteAtomic(path, fsync, f =>
        {
            using var z = new CompressionStream(f, level, leaveOpen: true);
            z.SetPledgedSrcSize((ulong)input.Length);
            input.CopyTo(z, 1 << 20);
        });
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
