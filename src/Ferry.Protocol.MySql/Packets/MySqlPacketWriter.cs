using System.Buffers;

namespace Ferry.Protocol.MySql.Packets;

/// <summary>Writes an arbitrary payload as one or more packets, splitting at 0xFFFFFF bytes.</summary>
public static class MySqlPacketWriter
{
    /// <summary>
    /// Writes <paramref name="payload"/> starting at <paramref name="sequenceId"/>, which is advanced past the
    /// last packet written. A payload that is an exact multiple of 0xFFFFFF ends with an empty packet.
    /// </summary>
    public static void WritePayload(IBufferWriter<byte> writer, ref byte sequenceId, ReadOnlySpan<byte> payload)
    {
        while (true)
        {
            int chunk = Math.Min(payload.Length, MySqlLimits.MaxPacketPayload);
            Span<byte> span = writer.GetSpan(MySqlPacketReader.HeaderLength + chunk);
            span[0] = (byte)chunk;
            span[1] = (byte)(chunk >> 8);
            span[2] = (byte)(chunk >> 16);
            span[3] = sequenceId;
            payload.Slice(0, chunk).CopyTo(span.Slice(MySqlPacketReader.HeaderLength));
            writer.Advance(MySqlPacketReader.HeaderLength + chunk);
            sequenceId = unchecked((byte)(sequenceId + 1));
            payload = payload.Slice(chunk);
            if (chunk < MySqlLimits.MaxPacketPayload)
            {
                return;
            }
        }
    }
}
