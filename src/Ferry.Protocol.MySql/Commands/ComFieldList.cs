using System.Buffers;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// COM_FIELD_LIST (deprecated, still sent by the mysql client's auto-rehash).
/// <code>
///  +------+---------+-------------------------+
///  | 0x04 | table\0 | field wildcard (rest)   |
///  +------+---------+-------------------------+
/// </code>
/// </summary>
public readonly struct ComFieldList
{
    public ComFieldList(ReadOnlySequence<byte> table, ReadOnlySequence<byte> wildcard)
    {
        Table = table;
        Wildcard = wildcard;
    }

    public ReadOnlySequence<byte> Table { get; }

    public ReadOnlySequence<byte> Wildcard { get; }

    public static ComFieldList Read(ReadOnlySequence<byte> payload)
    {
        MySqlPayloadReader r = MySqlCommand.Open(payload, CommandCode.FieldList, "COM_FIELD_LIST");
        ReadOnlySequence<byte> table = r.ReadNullTerminated();
        return new ComFieldList(table, r.ReadRest());
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> table, ReadOnlySpan<byte> wildcard)
    {
        // payload = code (1) + table\0 + wildcard
        var w = MySqlWireWriter.Begin(writer, 0, 1 + MySqlWireWriter.NullTerminatedSize(table) + wildcard.Length, out int total);
        w.WriteByte((byte)CommandCode.FieldList);
        w.WriteNullTerminated(table);
        w.WriteBytes(wildcard);
        w.Finish(writer, total);
    }
}
