using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// FunctionCall (legacy fast-path): audit must see it, it runs arbitrary functions.
/// <code>
///  +-----+-----+---------------+--------+-----------+--------+-----------------------+-------------+
///  | 'F' | len | function oid  | nf i16 | nf x fmt  | na i16 | na x (len i32, bytes) | result fmt  |
///  |     |     | (int32)       |        | (i16)     |        |  -1 = NULL            | (i16)       |
///  +-----+-----+---------------+--------+-----------+--------+-----------------------+-------------+
/// </code>
/// </summary>
public readonly struct FunctionCall
{
    private readonly ReadOnlySequence<byte> _formats;
    private readonly ReadOnlySequence<byte> _values;

    private FunctionCall(uint functionOid, int formatCount, ReadOnlySequence<byte> formats, int argumentCount,
        ReadOnlySequence<byte> values, short resultFormat)
    {
        FunctionOid = functionOid;
        ArgumentFormatCount = formatCount;
        _formats = formats;
        ArgumentCount = argumentCount;
        _values = values;
        ResultFormat = resultFormat;
    }

    public uint FunctionOid { get; }

    public int ArgumentFormatCount { get; }

    public int ArgumentCount { get; }

    public short ResultFormat { get; }

    public ParameterValueEnumerator Arguments => new(_formats, ArgumentFormatCount, _values, ArgumentCount);

    public static FunctionCall Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)FrontendMessageCode.FunctionCall, "FunctionCall");
        var reader = new PayloadReader(frame.Payload, "FunctionCall");
        uint oid = (uint)reader.ReadInt32();
        int formatCount = reader.ReadCount16();
        ReadOnlySequence<byte> formats = reader.ReadBytes(formatCount * 2L);
        int argumentCount = reader.ReadCount16();
        if (formatCount > 1 && formatCount != argumentCount)
        {
            PostgresThrow.Malformed($"function call message has {formatCount} argument formats but {argumentCount} arguments");
        }

        ReadOnlySequence<byte> values = ParameterValueEnumerator.Validate(ref reader, argumentCount);
        short resultFormat = reader.ReadInt16();
        reader.ExpectEnd();
        return new FunctionCall(oid, formatCount, formats, argumentCount, values, resultFormat);
    }

    public static void Write(IBufferWriter<byte> writer, uint functionOid, ReadOnlySpan<short> argumentFormats,
        ReadOnlySpan<byte[]?> arguments, short resultFormat)
    {
        // body = oid (4) + 2 + 2*nf + 2 + sum(4 + len) + result format (2)
        int body = 4 + 2 + (2 * argumentFormats.Length) + 2 + 2;
        foreach (byte[]? value in arguments)
        {
            body += 4 + (value?.Length ?? 0);
        }

        var w = WireWriter.Begin(writer, (byte)FrontendMessageCode.FunctionCall, body, out int total);
        w.WriteInt32((int)functionOid);
        w.WriteInt16(checked((short)argumentFormats.Length));
        foreach (short format in argumentFormats)
        {
            w.WriteInt16(format);
        }

        w.WriteInt16(checked((short)arguments.Length));
        foreach (byte[]? value in arguments)
        {
            w.WriteLengthPrefixed(value, value is null);
        }

        w.WriteInt16(resultFormat);
        MessageGuard.Finish(writer, w, total);
    }
}
