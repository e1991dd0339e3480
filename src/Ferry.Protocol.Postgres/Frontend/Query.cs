using System.Buffers;
using System.Text;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// Simple query.
/// <code>
///  +-----+-------------+------------------------+
///  | 'Q' | len (int32) | query string \0        |
///  +-----+-------------+------------------------+
/// </code>
/// </summary>
public readonly struct Query
{
    public Query(ReadOnlySequence<byte> text) => Text = text;

    /// <summary>The SQL text (UTF-8 or the client encoding), without the terminator.</summary>
    public ReadOnlySequence<byte> Text { get; }

    public static Query Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.Query, "Query");
        var reader = new PayloadReader(frame.Payload, "Query");
        ReadOnlySequence<byte> text = reader.ReadCString();
        reader.ExpectEnd();
        return new Query(text);
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> sql)
    {
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.Query, WireWriter.CStringLength(sql), out int total);
        w.WriteCString(sql);
        MessageGuard.Finish(writer, w, total);
    }

    public static void Write(IBufferWriter<byte> writer, string sql) => Write(writer, Encoding.UTF8.GetBytes(sql));
}
