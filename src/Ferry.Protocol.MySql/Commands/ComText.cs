using System.Buffers;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// Commands whose body is one string to the end of the packet: COM_INIT_DB (schema), COM_STMT_PREPARE (query).
/// <code>
///  +-----------+------------------------------+
///  | 0x02/0x16 | schema or query text (rest)  |
///  +-----------+------------------------------+
/// </code>
/// </summary>
public static class ComText
{
    public static ReadOnlySequence<byte> ReadInitDb(ReadOnlySequence<byte> payload) =>
        MySqlCommand.Open(payload, CommandCode.InitDb, "COM_INIT_DB").ReadRest();

    public static ReadOnlySequence<byte> ReadStmtPrepare(ReadOnlySequence<byte> payload) =>
        MySqlCommand.Open(payload, CommandCode.StmtPrepare, "COM_STMT_PREPARE").ReadRest();

    public static void Write(IBufferWriter<byte> writer, CommandCode code, ReadOnlySpan<byte> text)
    {
        var w = MySqlWireWriter.Begin(writer, 0, 1 + text.Length, out int total);
        w.WriteByte((byte)code);
        w.WriteBytes(text);
        w.Finish(writer, total);
    }
}
