using System.IO.Compression;

namespace Ferry.Protocol.Tests.Support;

/// <summary>The recorded streams of /work/shared/captures, shipped gzipped with the tests.</summary>
internal static class CaptureFiles
{
    private static readonly Dictionary<string, byte[]> Cache = [];

    public static byte[] Load(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out byte[]? bytes))
            {
                string path = Path.Combine(AppContext.BaseDirectory, "Captures", name + ".gz");
                using var file = File.OpenRead(path);
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                using var memory = new MemoryStream();
                gzip.CopyTo(memory);
                bytes = memory.ToArray();
                Cache[name] = bytes;
            }

            return bytes;
        }
    }
}
