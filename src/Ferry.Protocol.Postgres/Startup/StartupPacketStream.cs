
namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// Reads one whole startup-family packet from a stream, for a proxy that must not read past it
/// (the bytes after it are relayed as they come).
/// </summary>
public static class StartupPacketStream
{
    /// <summary>
    /// Reads exactly one packet of at most <paramref name="maxLength"/> bytes and returns it whole (length
    /// included), with its header. A bad length or code throws <see cref="PostgresProtocolException"/>
    /// before the body is awaited; an end of stream throws <see cref="EndOfStreamException"/>.
    /// </summary>
    public static async Task<(StartupPacketHeader Header, byte[] Packet)> ReadAsync(Stream stream, int maxLength, CancellationToken ct)
    {
        var header = new byte[StartupPacketHeader.Size];
        await stream.ReadExactlyAsync(header.AsMemory(0, 4), ct).ConfigureAwait(false);
        StartupPacketHeader.ParseLength(header, maxLength);
        await stream.ReadExactlyAsync(header.AsMemory(4), ct).ConfigureAwait(false);
        var parsed = StartupPacketHeader.Parse(header, maxLength);
        var packet = new byte[parsed.Length];
        header.CopyTo(packet, 0);
        await stream.ReadExactlyAsync(packet.AsMemory(StartupPacketHeader.Size), ct).ConfigureAwait(false);
        return (parsed, packet);
    }
}
