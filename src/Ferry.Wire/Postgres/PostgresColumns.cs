using System.Buffers;
using System.Text;
using Ferry.Protocol.Postgres;

namespace Ferry.Wire.Postgres;

/// <summary>RowDescription fields: names and type names (the codec validates and counts; the fields are read here).</summary>
public static class PostgresColumns
{
    public static (List<WireColumn> Columns, int[] Types) Read(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryReadBigEndian(out short count) || count < 0)
        {
            throw new PostgresProtocolException("RowDescription: truncated");
        }

        var columns = new List<WireColumn>(count);
        var types = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> name, 0)
                || !reader.TryReadBigEndian(out int _)
                || !reader.TryReadBigEndian(out short _)
                || !reader.TryReadBigEndian(out int type)
                || !reader.TryReadBigEndian(out short _)
                || !reader.TryReadBigEndian(out int _)
                || !reader.TryReadBigEndian(out short _))
            {
                throw new PostgresProtocolException("RowDescription: truncated field");
            }

            types[i] = type;
            columns.Add(new WireColumn(Encoding.UTF8.GetString(name), PostgresTypeNames.Name(type)));
        }

        return (columns, types);
    }
}
