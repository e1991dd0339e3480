using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// CommandComplete.
/// <code>
///  +-----+-------------+-------------------------------+
///  | 'C' | len (int32) | tag\0  ("INSERT 0 1", "SELECT 5") |
///  +-----+-------------+-------------------------------+
/// </code>
/// </summary>
public static class CommandComplete
{
    public static ReadOnlySequence<byte> Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.CommandComplete, "CommandComplete");
        var reader = new PayloadReader(frame.Payload, "CommandComplete");
        ReadOnlySequence<byte> tag = reader.ReadCString();
        reader.ExpectEnd();
        return tag;
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> tag)
    {
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.CommandComplete, WireWriter.CStringLength(tag), out int total);
        w.WriteCString(tag);
        MessageGuard.Finish(writer, w, total);
    }
}
