using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// Execute (extended protocol).
/// <code>
///  +-----+-------------+----------+------------------------------+
///  | 'E' | len (int32) | portal\0 | max rows (int32, 0 = all)    |
///  +-----+-------------+----------+------------------------------+
/// </code>
/// </summary>
public readonly struct Execute
{
    public Execute(ReadOnlySequence<byte> portal, int maxRows)
    {
        Portal = portal;
        MaxRows = maxRows;
    }

    public ReadOnlySequence<byte> Portal { get; }

    public int MaxRows { get; }

    public static Execute Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.Execute, "Execute");
        var reader = new PayloadReader(frame.Payload, "Execute");
        ReadOnlySequence<byte> portal = reader.ReadCString();
        int maxRows = reader.ReadInt32();
        reader.ExpectEnd();
        return new Execute(portal, maxRows);
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> portal, int maxRows)
    {
        // body = portal\0 + max rows (4)
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.Execute, WireWriter.CStringLength(portal) + 4, out int total);
        w.WriteCString(portal);
        w.WriteInt32(maxRows);
        MessageGuard.Finish(writer, w, total);
    }
}
