using System.Buffers;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// A client command: the code byte and the rest of the payload. The typed readers (<see cref="ComQuery"/>,
/// <see cref="ComStmtExecute"/>...) take the whole payload.
/// <code>
///  +-----------+-------------------------------+
///  | code (u8) | command-specific body         |
///  +-----------+-------------------------------+
/// </code>
/// </summary>
public readonly struct MySqlCommand
{
    public MySqlCommand(CommandCode code, ReadOnlySequence<byte> body)
    {
        Code = code;
        Body = body;
    }

    public CommandCode Code { get; }

    public ReadOnlySequence<byte> Body { get; }

    public static MySqlCommand Read(ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
        {
            MySqlThrow.Malformed("empty command packet");
        }

        byte code = payload.FirstSpan.Length > 0 ? payload.FirstSpan[0] : FirstByte(payload);
        return new MySqlCommand((CommandCode)code, payload.Slice(1));
    }

    /// <summary>
    /// Checks a command that has no body (COM_QUIT, COM_PING, COM_STATISTICS, COM_RESET_CONNECTION).
    /// </summary>
    public static void ReadEmpty(ReadOnlySequence<byte> payload, CommandCode code)
    {
        MySqlCommand command = Read(payload);
        if (command.Code != code || !command.Body.IsEmpty)
        {
            MySqlThrow.Malformed($"{code} carries a body");
        }
    }

    /// <summary>Writes a command without a body.</summary>
    public static void WriteEmpty(IBufferWriter<byte> writer, CommandCode code)
    {
        var w = MySqlWireWriter.Begin(writer, 0, 1, out int total);
        w.WriteByte((byte)code);
        w.Finish(writer, total);
    }

    internal static MySqlPayloadReader Open(in ReadOnlySequence<byte> payload, CommandCode code, string name)
    {
        var r = new MySqlPayloadReader(payload, name);
        if (r.ReadByte() != (byte)code)
        {
            throw new ArgumentException($"payload is not a {name}", nameof(payload));
        }

        return r;
    }

    private static byte FirstByte(in ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        reader.TryPeek(out byte b);
        return b;
    }
}
