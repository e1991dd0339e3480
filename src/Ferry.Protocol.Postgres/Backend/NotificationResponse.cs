using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// NotificationResponse (LISTEN/NOTIFY).
/// <code>
///  +-----+-------------+------------------+-----------+-----------+
///  | 'A' | len (int32) | process id (i32) | channel\0 | payload\0 |
///  +-----+-------------+------------------+-----------+-----------+
/// </code>
/// </summary>
public readonly struct NotificationResponse
{
    public NotificationResponse(int processId, ReadOnlySequence<byte> channel, ReadOnlySequence<byte> payload)
    {
        ProcessId = processId;
        Channel = channel;
        Payload = payload;
    }

    public int ProcessId { get; }

    public ReadOnlySequence<byte> Channel { get; }

    public ReadOnlySequence<byte> Payload { get; }

    public static NotificationResponse Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.NotificationResponse, "NotificationResponse");
        var reader = new PayloadReader(frame.Payload, "NotificationResponse");
        int pid = reader.ReadInt32();
        ReadOnlySequence<byte> channel = reader.ReadCString();
        ReadOnlySequence<byte> payload = reader.ReadCString();
        reader.ExpectEnd();
        return new NotificationResponse(pid, channel, payload);
    }

    public static void Write(IBufferWriter<byte> writer, int processId, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> payload)
    {
        // body = pid (4) + channel\0 + payload\0
        int body = 4 + WireWriter.CStringLength(channel) + WireWriter.CStringLength(payload);
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.NotificationResponse, body, out int total);
        w.WriteInt32(processId);
        w.WriteCString(channel);
        w.WriteCString(payload);
        MessageGuard.Finish(writer, w, total);
    }
}
