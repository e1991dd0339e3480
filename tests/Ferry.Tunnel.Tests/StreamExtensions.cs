using System.Buffers;
using Ferry.Tunnel;

namespace Ferry.Tunnel.Tests;

internal static class StreamExtensions
{
    /// <summary>Reads until end of stream (the peer's FIN).</summary>
    public static async Task<byte[]> ReadToEndAsync(this Stream stream, CancellationToken cancellationToken)
    {
        using var memory = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            memory.Write(buffer, 0, read);
        }

        return memory.ToArray();
    }

    /// <summary>Echoes everything back, then half-closes.</summary>
    public static async Task EchoAsync(this MuxStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        stream.CompleteWrites();
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
