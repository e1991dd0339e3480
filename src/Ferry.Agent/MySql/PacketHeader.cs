using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Agent.MySql;

internal static class PacketHeader
{
    /// <summary>Reads the packet header at <paramref name="offset"/> (4 bytes must be there).</summary>
    public static (int PayloadLength, byte SequenceId) Peek(in ReadOnlySequence<byte> buffer, long offset)
    {
        Span<byte> h = stackalloc byte[MySqlPacketReader.HeaderLength];
        buffer.Slice(offset, MySqlPacketReader.HeaderLength).CopyTo(h);
        return (h[0] | (h[1] << 8) | (h[2] << 16), h[3]);
    }
}
