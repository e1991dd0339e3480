using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// NegotiateProtocolVersion: the newest minor version the server supports and the
/// <c>_pq_.</c> options it did not recognise.
/// <code>
///  +-----+-------------+-----------------------+---------+-------------------+
///  | 'v' | len (int32) | newest minor (int32)  | n (i32) | n x option name\0 |
///  +-----+-------------+-----------------------+---------+-------------------+
/// </code>
/// </summary>
public readonly struct NegotiateProtocolVersion
{
    public NegotiateProtocolVersion(int newestMinorVersion, int unrecognizedOptionCount, ReadOnlySequence<byte> options)
    {
        NewestMinorVersion = newestMinorVersion;
        UnrecognizedOptionCount = unrecognizedOptionCount;
        UnrecognizedOptions = options;
    }

    public int NewestMinorVersion { get; }

    public int UnrecognizedOptionCount { get; }

    /// <summary>The NUL-terminated option names, back to back.</summary>
    public ReadOnlySequence<byte> UnrecognizedOptions { get; }

    public static NegotiateProtocolVersion Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.NegotiateProtocolVersion, "NegotiateProtocolVersion");
        var reader = new PayloadReader(frame.Payload, "NegotiateProtocolVersion");
        int minor = reader.ReadInt32();
        int count = reader.ReadInt32();
        if (count < 0)
        {
            PostgresThrow.Malformed("negative option count");
        }

        ReadOnlySequence<byte> options = reader.Unread;
        for (int i = 0; i < count; i++)
        {
            reader.ReadCString();
        }

        reader.ExpectEnd();
        return new NegotiateProtocolVersion(minor, count, options);
    }

    public static void Write(IBufferWriter<byte> writer, int newestMinorVersion, ReadOnlySpan<string> unrecognizedOptions)
    {
        // body = minor (4) + count (4) + sum(name\0)
        int body = 4 + 4;
        foreach (string option in unrecognizedOptions)
        {
            body += WireWriter.CStringLength(option);
        }

        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.NegotiateProtocolVersion, body, out int total);
        w.WriteInt32(newestMinorVersion);
        w.WriteInt32(unrecognizedOptions.Length);
        foreach (string option in unrecognizedOptions)
        {
            w.WriteCString(option);
        }

        MessageGuard.Finish(writer, w, total);
    }
}
