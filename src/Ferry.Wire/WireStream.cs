namespace Ferry.Wire;

/// <summary>Buffers a connection's reads and writes (a frame header and its body are one read, a message one write).</summary>
internal static class WireStream
{
    public const int BufferSize = 16 * 1024;

    public static Stream Buffered(Stream stream) => stream is BufferedStream ? stream : new BufferedStream(stream, BufferSize);
}
