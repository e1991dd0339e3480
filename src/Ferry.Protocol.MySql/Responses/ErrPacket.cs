using System.Buffers;
using System.Text;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Responses;

/// <summary>
/// ERR packet.
/// <code>
///  +------+----------------+-----+---------------------+-------------------------+
///  | 0xff | error code u16 | '#' | SQLSTATE (5 bytes)  | message (rest of packet)|
///  |      |                |  (PROTOCOL_41 only)       |                         |
///  +------+----------------+-----+---------------------+-------------------------+
/// </code>
/// </summary>
public readonly struct ErrPacket
{
    public const byte Header = 0xFF;

    public ErrPacket(ushort errorCode, ReadOnlySequence<byte> sqlState, ReadOnlySequence<byte> message)
    {
        ErrorCode = errorCode;
        SqlState = sqlState;
        Message = message;
    }

    public ushort ErrorCode { get; }

    /// <summary>Five characters, or empty for pre-4.1 errors (e.g. some sent before the handshake).</summary>
    public ReadOnlySequence<byte> SqlState { get; }

    public ReadOnlySequence<byte> Message { get; }

    public static ErrPacket Read(ReadOnlySequence<byte> payload)
    {
        var r = new MySqlPayloadReader(payload, "ERR packet");
        if (r.ReadByte() != Header)
        {
            MySqlThrow.Malformed("ERR packet header");
        }

        ushort code = r.ReadUInt16();
        ReadOnlySequence<byte> state = default;
        if (r.TryPeek(out byte marker) && marker == (byte)'#')
        {
            r.ReadByte();
            state = r.ReadBytes(5);
        }

        return new ErrPacket(code, state, r.ReadRest());
    }

    /// <summary>Writes an ERR packet; the SQLSTATE marker is written when the client speaks protocol 4.1.</summary>
    public static void Write(IBufferWriter<byte> writer, byte sequenceId, MySqlCapabilities capabilities, ushort errorCode,
        string sqlState, string message)
    {
        if (sqlState.Length != 5)
        {
            throw new ArgumentException("a SQLSTATE has five characters", nameof(sqlState));
        }

        bool p41 = Response.Has(capabilities, MySqlCapabilities.Protocol41);
        // payload = 0xff (1) + code (2) [+ '#' (1) + state (5)] + message
        int payload = 1 + 2 + (p41 ? 6 : 0) + Encoding.UTF8.GetByteCount(message);
        var w = MySqlWireWriter.Begin(writer, sequenceId, payload, out int total);
        w.WriteByte(Header);
        w.WriteUInt16(errorCode);
        if (p41)
        {
            w.WriteByte((byte)'#');
            w.WriteUtf8(sqlState);
        }

        w.WriteUtf8(message);
        w.Finish(writer, total);
    }
}
