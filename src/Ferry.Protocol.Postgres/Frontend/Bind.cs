using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// Bind (extended protocol): parameter values for a prepared statement, creating a portal.
/// <code>
///  +-----+-----+----------+-------------+---------+-----------+-----------------------------+---------+-----------+
///  | 'B' | len | portal\0 | statement\0 | nf i16  | nf x fmt  | np i16 | np x (len i32,     | nr i16  | nr x fmt  |
///  |     |     |          |             |         | (i16)     |        |  bytes; -1 = NULL) |         | (i16)     |
///  +-----+-----+----------+-------------+---------+-----------+-----------------------------+---------+-----------+
/// </code>
/// </summary>
public readonly struct Bind
{
    private readonly ReadOnlySequence<byte> _formats;
    private readonly ReadOnlySequence<byte> _values;
    private readonly ReadOnlySequence<byte> _resultFormats;

    private Bind(ReadOnlySequence<byte> portal, ReadOnlySequence<byte> statement, int formatCount, ReadOnlySequence<byte> formats,
        int parameterCount, ReadOnlySequence<byte> values, int resultFormatCount, ReadOnlySequence<byte> resultFormats)
    {
        Portal = portal;
        Statement = statement;
        ParameterFormatCount = formatCount;
        _formats = formats;
        ParameterCount = parameterCount;
        _values = values;
        ResultFormatCount = resultFormatCount;
        _resultFormats = resultFormats;
    }

    public ReadOnlySequence<byte> Portal { get; }

    public ReadOnlySequence<byte> Statement { get; }

    public int ParameterFormatCount { get; }

    public int ParameterCount { get; }

    public int ResultFormatCount { get; }

    /// <summary>Parameter values with their effective format code.</summary>
    public ParameterValueEnumerator Parameters => new(_formats, ParameterFormatCount, _values, ParameterCount);

    public short GetParameterFormat(int index) => ParameterValueEnumerator.FormatOf(_formats, ParameterFormatCount, index);

    public short GetResultFormat(int index) => ParameterValueEnumerator.FormatOf(_resultFormats, ResultFormatCount, index);

    public static Bind Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.Bind, "Bind");
        var reader = new PayloadReader(frame.Payload, "Bind");
        ReadOnlySequence<byte> portal = reader.ReadCString();
        ReadOnlySequence<byte> statement = reader.ReadCString();
        int formatCount = reader.ReadCount16();
        ReadOnlySequence<byte> formats = reader.ReadBytes(formatCount * 2L);
        int parameterCount = reader.ReadCount16();
        if (formatCount > 1 && formatCount != parameterCount)
        {
            PostgresThrow.Malformed($"bind message has {formatCount} parameter formats but {parameterCount} parameters");
        }

        ReadOnlySequence<byte> values = ParameterValueEnumerator.Validate(ref reader, parameterCount);
        int resultCount = reader.ReadCount16();
        ReadOnlySequence<byte> resultFormats = reader.ReadBytes(resultCount * 2L);
        reader.ExpectEnd();
        return new Bind(portal, statement, formatCount, formats, parameterCount, values, resultCount, resultFormats);
    }

    /// <summary>Writes a Bind; a null entry in <paramref name="values"/> is SQL NULL.</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> portal, ReadOnlySpan<byte> statement,
        ReadOnlySpan<short> parameterFormats, ReadOnlySpan<byte[]?> values, ReadOnlySpan<short> resultFormats)
    {
        // body = portal\0 + statement\0 + 2 + 2*nf + 2 + sum(4 + len) + 2 + 2*nr
        int body = WireWriter.CStringLength(portal) + WireWriter.CStringLength(statement)
            + 2 + (2 * parameterFormats.Length) + 2 + 2 + (2 * resultFormats.Length);
        foreach (byte[]? value in values)
        {
            body += 4 + (value?.Length ?? 0);
        }

        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.Bind, body, out int total);
        w.WriteCString(portal);
        w.WriteCString(statement);
        w.WriteInt16(checked((short)parameterFormats.Length));
        foreach (short format in parameterFormats)
        {
            w.WriteInt16(format);
        }

        w.WriteInt16(checked((short)values.Length));
        foreach (byte[]? value in values)
        {
            w.WriteLengthPrefixed(value, value is null);
        }

        w.WriteInt16(checked((short)resultFormats.Length));
        foreach (short format in resultFormats)
        {
            w.WriteInt16(format);
        }

        MessageGuard.Finish(writer, w, total);
    }
}
