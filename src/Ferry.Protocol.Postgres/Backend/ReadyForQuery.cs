using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// ReadyForQuery.
/// <code>
///  +-----+-------------+--------------------------------------+
///  | 'Z' | len = 5     | status: 'I' idle, 'T' in tx, 'E' failed |
///  +-----+-------------+--------------------------------------+
/// </code>
/// </summary>
public static class ReadyForQuery
{
    public static TransactionStatus Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.ReadyForQuery, "ReadyForQuery");
        var reader = new PayloadReader(frame.Payload, "ReadyForQuery");
        byte status = reader.ReadByte();
        reader.ExpectEnd();
        if (status is not ((byte)'I' or (byte)'T' or (byte)'E'))
        {
            PostgresThrow.Malformed($"transaction status 0x{status:x2}");
        }

        return (TransactionStatus)status;
    }

    public static void Write(IBufferWriter<byte> writer, TransactionStatus status)
    {
        // body = status (1)
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.ReadyForQuery, 1, out int total);
        w.WriteByte((byte)status);
        MessageGuard.Finish(writer, w, total);
    }
}
