namespace Ferry.Protocol.MySql.Packets;

/// <summary>
/// The 4-byte header of a MySQL packet.
/// <code>
///  0               3         4
///  +---------------+---------+
///  | payload length| seq id  |   length 0xFFFFFF: the payload continues in the next packet
///  | (uint24 LE)   | (uint8) |
///  +---------------+---------+
/// </code>
/// </summary>
public readonly record struct MySqlPacketHeader(int PayloadLength, byte SequenceId)
{
    public const int Size = 4;

    /// <summary>The whole packet on the wire: header and payload.</summary>
    public int PacketLength => Size + PayloadLength;

    /// <summary>True when the payload is continued in the next packet (a payload of exactly 0xFFFFFF bytes).</summary>
    public bool IsContinued => PayloadLength == MySqlLimits.MaxPacketPayload;

    public static MySqlPacketHeader Parse(ReadOnlySpan<byte> header) =>
        new(header[0] | (header[1] << 8) | (header[2] << 16), header[3]);

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = (byte)PayloadLength;
        destination[1] = (byte)(PayloadLength >> 8);
        destination[2] = (byte)(PayloadLength >> 16);
        destination[3] = SequenceId;
    }
}
