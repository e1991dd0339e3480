using System.Buffers;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// DataRow.
/// <code>
///  +-----+-------------+---------+---------------------------------------+
///  | 'D' | len (int32) | n (i16) | n x (len int32, bytes; -1 = NULL)     |
///  +-----+-------------+---------+---------------------------------------+
/// </code>
/// </summary>
public readonly struct DataRow
{
    private readonly ReadOnlySequence<byte> _values;

    private DataRow(int columnCount, ReadOnlySequence<byte> values)
    {
        ColumnCount = columnCount;
        _values = values;
    }

    public int ColumnCount { get; }

    /// <summary>Column values (format code reported as 0: the format is known from RowDescription).</summary>
    public ParameterValueEnumerator Columns => new(default, 0, _values, ColumnCount);

    public static DataRow Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.DataRow, "DataRow");
        var reader = new PayloadReader(frame.Payload, "DataRow");
        int count = reader.ReadCount16();
        ReadOnlySequence<byte> values = ParameterValueEnumerator.Validate(ref reader, count);
        reader.ExpectEnd();
        return new DataRow(count, values);
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte[]?> columns)
    {
        // body = count (2) + sum(4 + len)
        int body = 2;
        foreach (byte[]? value in columns)
        {
            body += 4 + (value?.Length ?? 0);
        }

        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.DataRow, body, out int total);
        w.WriteInt16(checked((short)columns.Length));
        foreach (byte[]? value in columns)
        {
            w.WriteLengthPrefixed(value, value is null);
        }

        MessageGuard.Finish(writer, w, total);
    }
}
