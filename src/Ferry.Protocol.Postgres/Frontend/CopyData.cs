using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// CopyData (both directions): an opaque chunk of COPY data.
/// <code>
///  +-----+-------------+---------------------------+
///  | 'd' | len (int32) | data (len - 4 bytes)      |
///  +-----+-------------+---------------------------+
/// </code>
/// </summary>
public static class CopyData
{
    public static ReadOnlySequence<byte> Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.CopyData, "CopyData");
        return frame.Payload;
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> data)
    {
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.CopyData, data.Length, out int total);
        w.WriteBytes(data);
        MessageGuard.Finish(writer, w, total);
    }
}
