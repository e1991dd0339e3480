using System.Buffers;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// Messages with no body: Sync, Flush, Terminate, CopyDone (frontend); ParseComplete, BindComplete,
/// CloseComplete, NoData, EmptyQueryResponse, PortalSuspended, CopyDone (backend).
/// <code>
///  +------+----------------+
///  | type | len = 4        |
///  +------+----------------+
/// </code>
/// </summary>
public static class EmptyMessage
{
    /// <summary>Checks that the frame has no body.</summary>
    public static void Read(in PostgresFrame frame)
    {
        if (frame.PayloadLength != 0)
        {
            PostgresThrow.Malformed($"message type 0x{frame.Code:x2} carries a {frame.PayloadLength}-byte body");
        }
    }

    public static void Write(IBufferWriter<byte> writer, byte code)
    {
        var w = WireWriter.Begin(writer, code, 0, out int total);
        MessageGuard.Finish(writer, w, total);
    }
}
