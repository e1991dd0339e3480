using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Responses;

/// <summary>
/// EOF packet (without CLIENT_DEPRECATE_EOF): ends column definitions and rows.
/// <code>
///  +------+-------------------+------------------+
///  | 0xfe | warnings u16 (41) | status u16 (41)  |
///  +------+-------------------+------------------+
/// </code>
/// </summary>
public readonly struct EofPacket
{
    public const byte Header = 0xFE;

    public EofPacket(ushort warnings, ServerStatus status)
    {
        Warnings = warnings;
        Status = status;
    }

    public ushort Warnings { get; }

    public ServerStatus Status { get; }

    public static EofPacket Read(ReadOnlySequence<byte> payload, MySqlCapabilities capabilities)
    {
        var r = new MySqlPayloadReader(payload, "EOF packet");
        if (r.ReadByte() != Header || payload.Length >= 9)
        {
            MySqlThrow.Malformed("EOF packet header");
        }

        if (!Response.Has(capabilities, MySqlCapabilities.Protocol41))
        {
            return default;
        }

        ushort warnings = r.ReadUInt16();
        var status = (ServerStatus)r.ReadUInt16();
        r.ExpectEnd();
        return new EofPacket(warnings, status);
    }

    public static void Write(IBufferWriter<byte> writer, byte sequenceId, MySqlCapabilities capabilities, ushort warnings, ServerStatus status)
    {
        bool p41 = Response.Has(capabilities, MySqlCapabilities.Protocol41);
        // payload = 0xfe (1) [+ warnings (2) + status (2)]
        var w = MySqlWireWriter.Begin(writer, sequenceId, p41 ? 5 : 1, out int total);
        w.WriteByte(Header);
        if (p41)
        {
            w.WriteUInt16(warnings);
            w.WriteUInt16((ushort)status);
        }

        w.Finish(writer, total);
    }
}
