using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// CopyFail: the client aborts a COPY FROM STDIN.
/// <code>
///  +-----+-------------+-------------------+
///  | 'f' | len (int32) | error message\0   |
///  +-----+-------------+-------------------+
/// </code>
/// </summary>
public static class CopyFail
{
    public static ReadOnlySequence<byte> Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.CopyFail, "CopyFail");
        var reader = new PayloadReader(frame.Payload, "CopyFail");
        ReadOnlySequence<byte> message = reader.ReadCString();
        reader.ExpectEnd();
        return message;
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> message)
    {
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.CopyFail, WireWriter.CStringLength(message), out int total);
        w.WriteCString(message);
        MessageGuard.Finish(writer, w, total);
    }
}
