using System.Buffers;

namespace Ferry.Protocol.MySql.Packets;

/// <summary>
/// Reads and writes whole single packets on a stream, for the handshake phase (before the relay
/// takes over). Payloads of 0xFFFFFF bytes or more are refused: no handshake packet is that large.
/// </summary>
public static class MySqlPacketStream
{
    /// <summary>
    /// Reads one packet. Returns null at a clean end of stream before the header; throws
    /// <see cref="MySqlProtocolException"/> when the declared length is over <paramref name="maxPayloadLength"/>.
    /// </summary>
    public static async ValueTask<(byte SequenceId, byte[] Payload)?> ReadAsync(Stream stream, int maxPayloadLength, CancellationToken ct)
    {
        var header = new byte[MySqlPacketReader.HeaderLength];
        var read = 0;
        while (read < header.Length)
        {
            var n = await stream.ReadAsync(header.AsMemory(read), ct);
            if (n == 0)
            {
                return read == 0 ? null : throw new EndOfStreamException("connection closed inside a packet header");
            }
            read += n;
        }
        var parsed = MySqlPacketHeader.Parse(header);
        var length = parsed.PayloadLength;
        if (length > maxPayloadLength || length >= MySqlLimits.MaxPacketPayload)
        {
            MySqlThrow.TooLarge(length, maxPayloadLength);
        }
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, ct);
        return (parsed.SequenceId, payload);
    }

    /// <summary>Writes <paramref name="payload"/> as one packet with the given sequence id and flushes.</summary>
    public static async ValueTask WriteAsync(Stream stream, byte sequenceId, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var w = new ArrayBufferWriter<byte>(payload.Length + MySqlPacketReader.HeaderLength);
        var seq = sequenceId;
        MySqlPacketWriter.WritePayload(w, ref seq, payload.Span);
        await stream.WriteAsync(w.WrittenMemory, ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>Writes already framed packets and flushes.</summary>
    public static async ValueTask WriteFramedAsync(Stream stream, ArrayBufferWriter<byte> framed, CancellationToken ct)
    {
        await stream.WriteAsync(framed.WrittenMemory, ct);
        await stream.FlushAsync(ct);
    }
}
