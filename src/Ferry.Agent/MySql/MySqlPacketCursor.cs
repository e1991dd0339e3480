using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Agent.MySql;

/// <summary>
/// Where a relay direction is in the MySQL packet stream: how much of the current packet is still to
/// pass through unread. Both directions walk their reads with it and decide per packet header.
/// </summary>
internal struct MySqlPacketCursor
{
    private long _remaining;

    /// <summary>True when the bytes passed so far end exactly at a packet boundary.</summary>
    public readonly bool AtBoundary => _remaining == 0;

    /// <summary>Bytes of the current packet still to pass (header included when it has not passed yet).</summary>
    public readonly long Remaining => _remaining;

    /// <summary>
    /// Moves <paramref name="pos"/> past the rest of the current packet, then reads the next packet's
    /// header at <paramref name="pos"/>; false when <paramref name="buffer"/> ends first.
    /// </summary>
    public bool TryNext(in ReadOnlySequence<byte> buffer, ref long pos, out int payloadLength, out byte sequenceId)
    {
        var available = buffer.Length - pos;
        var take = Math.Min(_remaining, available);
        _remaining -= take;
        pos += take;
        if (_remaining > 0 || !MySqlPacketReader.TryPeekHeader(buffer, pos, out var header))
        {
            (payloadLength, sequenceId) = (0, 0);
            return false;
        }
        (payloadLength, sequenceId) = header;
        return true;
    }

    /// <summary>Lets the next <paramref name="length"/> bytes (from the header just read) pass without looking at them.</summary>
    public void Pass(long length) => _remaining = length;
}
