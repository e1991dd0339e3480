using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// Parse (extended protocol): prepare a statement.
/// <code>
///  +-----+-------------+------------------+----------------+--------------+------------------------+
///  | 'P' | len (int32) | statement name\0 | query string\0 | n (int16)    | n x parameter type oid |
///  |     |             | ("" = unnamed)   |                |              | (int32, 0 = unspecified)|
///  +-----+-------------+------------------+----------------+--------------+------------------------+
/// </code>
/// </summary>
public readonly struct Parse
{
    private readonly ReadOnlySequence<byte> _types;

    public Parse(ReadOnlySequence<byte> statementName, ReadOnlySequence<byte> queryText, int parameterTypeCount, ReadOnlySequence<byte> types)
    {
        StatementName = statementName;
        QueryText = queryText;
        ParameterTypeCount = parameterTypeCount;
        _types = types;
    }

    public ReadOnlySequence<byte> StatementName { get; }

    public ReadOnlySequence<byte> QueryText { get; }

    public int ParameterTypeCount { get; }

    /// <summary>Type OID declared for parameter <paramref name="index"/> (0 = let the server infer).</summary>
    public uint GetParameterType(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ParameterTypeCount);
        Span<byte> oid = stackalloc byte[4];
        _types.Slice(index * 4L, 4).CopyTo(oid);
        return BinaryPrimitives.ReadUInt32BigEndian(oid);
    }

    public static Parse Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.Parse, "Parse");
        var reader = new PayloadReader(frame.Payload, "Parse");
        ReadOnlySequence<byte> name = reader.ReadCString();
        ReadOnlySequence<byte> query = reader.ReadCString();
        int count = reader.ReadCount16();
        ReadOnlySequence<byte> types = reader.ReadBytes(count * 4L);
        reader.ExpectEnd();
        return new Parse(name, query, count, types);
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> statementName, ReadOnlySpan<byte> query, ReadOnlySpan<uint> parameterTypes)
    {
        // body = name\0 + query\0 + count (2) + 4 per oid
        int body = WireWriter.CStringLength(statementName) + WireWriter.CStringLength(query) + 2 + (4 * parameterTypes.Length);
        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.Parse, body, out int total);
        w.WriteCString(statementName);
        w.WriteCString(query);
        w.WriteInt16(checked((short)parameterTypes.Length));
        foreach (uint oid in parameterTypes)
        {
            w.WriteInt32((int)oid);
        }

        MessageGuard.Finish(writer, w, total);
    }
}
