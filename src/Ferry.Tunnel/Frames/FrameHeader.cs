using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Tunnel.Frames;

/// <summary>
/// The 12-byte yamux frame header (spec.md "Framing"), all fields big-endian:
/// <code>
///  0         1         2                   4                                      8                                      12
/// +---------+---------+---------+---------+---------+---------+---------+---------+---------+---------+---------+---------+
/// | version |  type   |      flags        |               stream id               |                length                 |
/// +---------+---------+---------+---------+---------+---------+---------+---------+---------+---------+---------+---------+
/// </code>
/// Version is always 0. Length is the payload length for Data, a window delta for WindowUpdate,
/// an opaque value for Ping and an error code for GoAway.
/// </summary>
internal readonly record struct FrameHeader(FrameType Type, FrameFlags Flags, uint StreamId, uint Length)
{
    /// <summary>Size of an encoded header in bytes.</summary>
    public const int Size = 12;

    /// <summary>The only protocol version defined by the specification.</summary>
    public const byte ProtocolVersion = 0;

    /// <summary>
    /// Reads one header. Returns <see cref="OperationStatus.NeedMoreData"/> without consuming
    /// anything when fewer than 12 bytes are available; throws <see cref="MuxProtocolException"/>
    /// for an unknown version or type.
    /// </summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, out FrameHeader header)
    {
        ReadOnlySpan<byte> unread = reader.UnreadSpan;
        if (unread.Length >= Size)
        {
            header = Parse(unread);
        }
        else
        {
            Span<byte> copy = stackalloc byte[Size];
            if (!reader.TryCopyTo(copy))
            {
                header = default;
                return OperationStatus.NeedMoreData;
            }

            header = Parse(copy);
        }

        reader.Advance(Size);
        return OperationStatus.Done;
    }

    /// <summary>Parses a header from exactly the first 12 bytes of <paramref name="source"/>.</summary>
    public static FrameHeader Parse(ReadOnlySpan<byte> source)
    {
        if (source[0] != ProtocolVersion)
        {
            MuxProtocolException.Throw("unsupported frame version");
        }

        byte type = source[1];
        if (type > (byte)FrameType.GoAway)
        {
            MuxProtocolException.Throw("unknown frame type");
        }

        return new FrameHeader(
            (FrameType)type,
            (FrameFlags)BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]));
    }

    /// <summary>Writes the 12 header bytes to the start of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Size];
        destination[0] = ProtocolVersion;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Length);
    }

    public static FrameHeader WindowUpdate(uint streamId, FrameFlags flags, uint delta) =>
        new(FrameType.WindowUpdate, flags, streamId, delta);

    public static FrameHeader Reset(uint streamId) => new(FrameType.WindowUpdate, FrameFlags.Rst, streamId, 0);

    public static FrameHeader PingRequest(uint opaque) => new(FrameType.Ping, FrameFlags.Syn, 0, opaque);

    public static FrameHeader PingResponse(uint opaque) => new(FrameType.Ping, FrameFlags.Ack, 0, opaque);

    public static FrameHeader GoAway(GoAwayCode code) => new(FrameType.GoAway, FrameFlags.None, 0, (uint)code);
}
