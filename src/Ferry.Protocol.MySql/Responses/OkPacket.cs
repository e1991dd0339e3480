using System.Buffers;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.Protocol.MySql.Responses;

/// <summary>
/// OK packet (header 0x00, or 0xFE when it ends a result set under CLIENT_DEPRECATE_EOF).
/// <code>
///  +-----------+----------------------+-----------------------+-------------+------------+
///  | 0x00/0xfe | affected rows lenenc | last insert id lenenc | status u16  | warnings   |
///  |           |                      |                       | (41 / TX)   | u16 (41)   |
///  +-----------+----------------------+-----------------------+-------------+------------+
///  | info: lenenc string (SESSION_TRACK) else rest | session state lenenc (STATE_CHANGED) |
///  +------------------------------------------------+--------------------------------------+
/// </code>
/// </summary>
public readonly struct OkPacket
{
    /// <summary>The first byte of an OK packet outside a result set.</summary>
    public const byte OkHeader = 0x00;

    public OkPacket(byte header, ulong affectedRows, ulong lastInsertId, ServerStatus status, ushort warnings,
        ReadOnlySequence<byte> info, ReadOnlySequence<byte> sessionStateChanges)
    {
        Header = header;
        AffectedRows = affectedRows;
        LastInsertId = lastInsertId;
        Status = status;
        Warnings = warnings;
        Info = info;
        SessionStateChanges = sessionStateChanges;
    }

    public byte Header { get; }

    public ulong AffectedRows { get; }

    public ulong LastInsertId { get; }

    public ServerStatus Status { get; }

    public ushort Warnings { get; }

    public ReadOnlySequence<byte> Info { get; }

    public ReadOnlySequence<byte> SessionStateChanges { get; }

    public static OkPacket Read(ReadOnlySequence<byte> payload, MySqlCapabilities capabilities)
    {
        var r = new MySqlPayloadReader(payload, "OK packet");
        byte header = r.ReadByte();
        if (header is not (0x00 or 0xFE))
        {
            MySqlThrow.Malformed("OK packet header");
        }

        ulong affected = r.ReadLengthEncoded();
        ulong insertId = r.ReadLengthEncoded();
        ServerStatus status = 0;
        ushort warnings = 0;
        if (Response.Has(capabilities, MySqlCapabilities.Protocol41))
        {
            status = (ServerStatus)r.ReadUInt16();
            warnings = r.ReadUInt16();
        }
        else if (Response.Has(capabilities, MySqlCapabilities.Transactions))
        {
            status = (ServerStatus)r.ReadUInt16();
        }

        ReadOnlySequence<byte> info = default, session = default;
        if (Response.Has(capabilities, MySqlCapabilities.SessionTrack))
        {
            // Servers omit the (empty) info string entirely at the end of the packet.
            if (!r.End)
            {
                info = r.ReadLengthEncodedString();
            }

            if ((status & ServerStatus.SessionStateChanged) != 0 && !r.End)
            {
                session = r.ReadLengthEncodedString();
            }

            r.ExpectEnd();
        }
        else
        {
            info = r.ReadRest();
        }

        return new OkPacket(header, affected, insertId, status, warnings, info, session);
    }

    public static void Write(IBufferWriter<byte> writer, byte sequenceId, MySqlCapabilities capabilities, ulong affectedRows,
        ulong lastInsertId, ServerStatus status, ushort warnings, ReadOnlySpan<byte> info = default, byte header = 0x00)
    {
        bool p41 = Response.Has(capabilities, MySqlCapabilities.Protocol41);
        bool tx = Response.Has(capabilities, MySqlCapabilities.Transactions);
        bool track = Response.Has(capabilities, MySqlCapabilities.SessionTrack);
        // payload = header (1) + affected lenenc + insert id lenenc + status/warnings (4 | 2 | 0) + info
        int payload = 1 + MySqlWireWriter.LengthEncodedSize(affectedRows) + MySqlWireWriter.LengthEncodedSize(lastInsertId)
            + (p41 ? 4 : tx ? 2 : 0)
            + (track ? MySqlWireWriter.LengthEncodedStringSize(info.Length) : info.Length);
        var w = MySqlWireWriter.Begin(writer, sequenceId, payload, out int total);
        w.WriteByte(header);
        w.WriteLengthEncoded(affectedRows);
        w.WriteLengthEncoded(lastInsertId);
        if (p41 || tx)
        {
            w.WriteUInt16((ushort)(status & ~ServerStatus.SessionStateChanged));
        }

        if (p41)
        {
            w.WriteUInt16(warnings);
        }

        if (track)
        {
            w.WriteLengthEncodedString(info);
        }
        else
        {
            w.WriteBytes(info);
        }

        w.Finish(writer, total);
    }
}
