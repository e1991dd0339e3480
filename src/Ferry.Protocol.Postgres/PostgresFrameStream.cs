using System.Buffers;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// Reads one whole regular message from a stream, for a proxy that inspects the start of a
/// conversation and then relays the rest unread (it must not read past the message).
/// </summary>
public static class PostgresFrameStream
{
    /// <summary>
    /// Reads exactly one message of at most <paramref name="maxMessageLength"/> declared bytes. A bad length
    /// throws <see cref="PostgresProtocolException"/> before the body is awaited; an end of stream throws
    /// <see cref="EndOfStreamException"/>. The frame's bytes are also returned as an array, to forward as they are.
    /// </summary>
    public static async Task<(PostgresFrame Frame, byte[] Bytes)> ReadAsync(Stream stream, int maxMessageLength, CancellationToken ct)
    {
        var header = new byte[PostgresFrameHeader.Size];
        await stream.ReadExactlyAsync(header, ct).ConfigureAwait(false);
        var parsed = PostgresFrameHeader.Parse(header, maxMessageLength);
        var bytes = new byte[parsed.FrameLength];
        header.CopyTo(bytes, 0);
        await stream.ReadExactlyAsync(bytes.AsMemory(PostgresFrameHeader.Size), ct).ConfigureAwait(false);
        return (new PostgresFrame(parsed.Code, new ReadOnlySequence<byte>(bytes)), bytes);
    }
}
