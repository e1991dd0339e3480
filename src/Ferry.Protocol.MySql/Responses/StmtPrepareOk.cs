using System.Buffers;

namespace Ferry.Protocol.MySql.Responses;

/// <summary>
/// COM_STMT_PREPARE_OK: first packet of a successful prepare; the parameter count it gives is needed to
/// decode later COM_STMT_EXECUTE packets.
/// <code>
///  +------+------------------+-------------+------------+------------+------------------+
///  | 0x00 | statement id u32 | columns u16 | params u16 | 0x00       | warnings u16     |
///  +------+------------------+-------------+------------+------------+------------------+
/// </code>
/// </summary>
public readonly struct StmtPrepareOk
{
    public const int PayloadLength = 12;

    public StmtPrepareOk(uint statementId, ushort columnCount, ushort parameterCount, ushort warnings)
    {
        StatementId = statementId;
        ColumnCount = columnCount;
        ParameterCount = parameterCount;
        Warnings = warnings;
    }

    public uint StatementId { get; }

    public ushort ColumnCount { get; }

    public ushort ParameterCount { get; }

    public ushort Warnings { get; }

    public static StmtPrepareOk Read(ReadOnlySequence<byte> payload)
    {
        var r = new MySqlPayloadReader(payload, "COM_STMT_PREPARE_OK");
        if (r.ReadByte() != 0)
        {
            MySqlThrow.Malformed("COM_STMT_PREPARE_OK header");
        }

        uint id = r.ReadUInt32();
        ushort columns = r.ReadUInt16();
        ushort parameters = r.ReadUInt16();
        ushort warnings = 0;
        if (!r.End)
        {
            r.ReadByte();
            warnings = r.ReadUInt16();
        }

        // MySQL 8 may append a metadata-follows flag byte (CLIENT_OPTIONAL_RESULTSET_METADATA).
        if (r.Remaining > 1)
        {
            MySqlThrow.Malformed("COM_STMT_PREPARE_OK: unexpected trailing bytes");
        }

        return new StmtPrepareOk(id, columns, parameters, warnings);
    }

    public static void Write(IBufferWriter<byte> writer, byte sequenceId, uint statementId, ushort columnCount, ushort parameterCount, ushort warnings)
    {
        var w = MySqlWireWriter.Begin(writer, sequenceId, PayloadLength, out int total);
        w.WriteByte(0);
        w.WriteUInt32(statementId);
        w.WriteUInt16(columnCount);
        w.WriteUInt16(parameterCount);
        w.WriteByte(0);
        w.WriteUInt16(warnings);
        w.Finish(writer, total);
    }
}
