using System.Buffers;

namespace Ferry.Protocol.Postgres.Frontend;

/// <summary>
/// Describe ('D') and Close ('C'): the same shape, a target kind and a name.
/// <code>
///  +-----------+-------------+------------------------+------------------+
///  | 'D' / 'C' | len (int32) | 'S' statement/'P' portal | name\0         |
///  +-----------+-------------+------------------------+------------------+
/// </code>
/// </summary>
public readonly struct Describe
{
    public Describe(DescribeTarget target, ReadOnlySequence<byte> name)
    {
        Target = target;
        Name = name;
    }

    public DescribeTarget Target { get; }

    public ReadOnlySequence<byte> Name { get; }

    /// <summary>Reads a Describe ('D') or a Close ('C').</summary>
    public static Describe Read(in PostgresFrame frame)
    {
        if (frame.Code is not ((byte)FrontendMessageCode.Describe or (byte)FrontendMessageCode.Close))
        {
            throw new ArgumentException("not a Describe or Close", nameof(frame));
        }

        var reader = new PayloadReader(frame.Payload, frame.Code == (byte)FrontendMessageCode.Describe ? "Describe" : "Close");
        byte target = reader.ReadByte();
        if (target is not ((byte)'S' or (byte)'P'))
        {
            PostgresThrow.Malformed($"invalid target type '{(char)target}'");
        }

        ReadOnlySequence<byte> name = reader.ReadCString();
        reader.ExpectEnd();
        return new Describe((DescribeTarget)target, name);
    }

    /// <summary>Writes a Describe, or a Close when <paramref name="code"/> is <see cref="FrontendMessageCode.Close"/>.</summary>
    public static void Write(IBufferWriter<byte> writer, DescribeTarget target, ReadOnlySpan<byte> name, FrontendMessageCode code = FrontendMessageCode.Describe)
    {
        // body = target (1) + name\0
        var w = WireWriter.Begin(writer, (byte)code, 1 + WireWriter.CStringLength(name), out int total);
        w.WriteByte((byte)target);
        w.WriteCString(name);
        MessageGuard.Finish(writer, w, total);
    }
}
