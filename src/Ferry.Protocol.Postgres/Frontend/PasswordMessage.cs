using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// PasswordMessage (cleartext or MD5 answer); 'p' is shared with the SASL messages, the preceding
/// Authentication request decides which one it is.
/// <code>
///  +-----+-------------+-----------------+
///  | 'p' | len (int32) | password\0      |
///  +-----+-------------+-----------------+
/// </code>
/// </summary>
public static class PasswordMessage
{
    public static ReadOnlySequence<byte> Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.PasswordMessage, "PasswordMessage");
        var reader = new PayloadReader(frame.Payload, "PasswordMessage");
        ReadOnlySequence<byte> password = reader.ReadCString();
        reader.ExpectEnd();
        return password;
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> password)
    {
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.PasswordMessage, WireWriter.CStringLength(password), out int total);
        w.WriteCString(password);
        MessageGuard.Finish(writer, w, total);
    }
}
