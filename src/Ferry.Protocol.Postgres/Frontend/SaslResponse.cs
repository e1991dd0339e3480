using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// SASLResponse (and GSSResponse): mechanism data, the rest of the body.
/// <code>
///  +-----+-------------+-------------------------------+
///  | 'p' | len (int32) | data (client-final-message)   |
///  +-----+-------------+-------------------------------+
/// </code>
/// </summary>
public static class SaslResponse
{
    public static ReadOnlySequence<byte> Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.PasswordMessage, "SASLResponse");
        return frame.Payload;
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> data)
    {
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.PasswordMessage, data.Length, out int total);
        w.WriteBytes(data);
        MessageGuard.Finish(writer, w, total);
    }
}
