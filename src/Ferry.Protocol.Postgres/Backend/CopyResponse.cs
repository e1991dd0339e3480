using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// CopyInResponse ('G'), CopyOutResponse ('H'), CopyBothResponse ('W').
/// <code>
///  +-----------+-----+--------------------+---------+----------------------+
///  | G / H / W | len | format (i8: 0 text | n (i16) | n x column format i16|
///  |           |     |  1 binary)         |         |                      |
///  +-----------+-----+--------------------+---------+----------------------+
/// </code>
/// </summary>
public readonly struct CopyResponse
{
    public CopyResponse(BackendMessageCode kind, byte format, int columnCount)
    {
        Kind = kind;
        Format = format;
        ColumnCount = columnCount;
    }

    public BackendMessageCode Kind { get; }

    public byte Format { get; }

    public int ColumnCount { get; }

    public static CopyResponse Read(in PostgresFrame frame)
    {
        if (frame.Code is not ((byte)BackendMessageCode.CopyInResponse or (byte)BackendMessageCode.CopyOutResponse
            or (byte)BackendMessageCode.CopyBothResponse))
        {
            throw new ArgumentException("not a Copy*Response", nameof(frame));
        }

        var reader = new PayloadReader(frame.Payload, "CopyResponse");
        byte format = reader.ReadByte();
        int count = reader.ReadCount16();
        reader.ReadBytes(count * 2L);
        reader.ExpectEnd();
        return new CopyResponse((BackendMessageCode)frame.Code, format, count);
    }

    public static void Write(IBufferWriter<byte> writer, BackendMessageCode kind, byte format, ReadOnlySpan<short> columnFormats)
    {
        // body = format (1) + count (2) + 2 per column
        var w = WireWriter.Begin(writer, (byte)kind, 1 + 2 + (2 * columnFormats.Length), out int total);
        w.WriteByte(format);
        w.WriteInt16(checked((short)columnFormats.Length));
        foreach (short f in columnFormats)
        {
            w.WriteInt16(f);
        }

        MessageGuard.Finish(writer, w, total);
    }
}
