using System.Buffers;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// Statement commands with fixed bodies.
/// <code>
///  COM_STMT_CLOSE / COM_STMT_RESET : | 0x19/0x1a | statement id u32 |
///  COM_STMT_FETCH                  | 0x1c      | statement id u32 | rows u32 |
///  COM_STMT_SEND_LONG_DATA         | 0x18      | statement id u32 | param id u16 | data (rest) |
///  COM_PROCESS_KILL                | 0x0c      | connection id u32 |
/// </code>
/// </summary>
public readonly struct ComStatement
{
    public ComStatement(CommandCode code, uint id, uint rowCount, ushort parameterId, ReadOnlySequence<byte> data)
    {
        Code = code;
        Id = id;
        RowCount = rowCount;
        ParameterId = parameterId;
        Data = data;
    }

    public CommandCode Code { get; }

    /// <summary>Statement id (connection id for COM_PROCESS_KILL).</summary>
    public uint Id { get; }

    /// <summary>COM_STMT_FETCH: rows to fetch.</summary>
    public uint RowCount { get; }

    /// <summary>COM_STMT_SEND_LONG_DATA: the parameter the data belongs to.</summary>
    public ushort ParameterId { get; }

    /// <summary>COM_STMT_SEND_LONG_DATA: the chunk.</summary>
    public ReadOnlySequence<byte> Data { get; }

    /// <summary>Reads COM_STMT_CLOSE, COM_STMT_RESET, COM_STMT_FETCH, COM_STMT_SEND_LONG_DATA or COM_PROCESS_KILL.</summary>
    public static ComStatement Read(ReadOnlySequence<byte> payload)
    {
        var code = MySqlCommand.Read(payload).Code;
        MySqlPayloadReader r = MySqlCommand.Open(payload, code, "statement command");
        uint id = r.ReadUInt32();
        uint rows = 0;
        ushort parameter = 0;
        ReadOnlySequence<byte> data = default;
        switch (code)
        {
            case CommandCode.StmtClose or CommandCode.StmtReset or CommandCode.ProcessKill:
                break;
            case CommandCode.StmtFetch:
                rows = r.ReadUInt32();
                break;
            case CommandCode.StmtSendLongData:
                parameter = r.ReadUInt16();
                data = r.ReadRest();
                break;
            default:
                throw new ArgumentException($"{code} is not a statement command", nameof(payload));
        }

        r.ExpectEnd();
        return new ComStatement(code, id, rows, parameter, data);
    }

    public static void Write(IBufferWriter<byte> writer, CommandCode code, uint id, uint rowCount = 0, ushort parameterId = 0,
        ReadOnlySpan<byte> data = default)
    {
        // payload = code (1) + id (4) [+ rows (4) | + param id (2) + data]
        int payload = 1 + 4 + code switch
        {
            CommandCode.StmtFetch => 4,
            CommandCode.StmtSendLongData => 2 + data.Length,
            CommandCode.StmtClose or CommandCode.StmtReset or CommandCode.ProcessKill => 0,
            _ => throw new ArgumentException($"{code} is not a statement command", nameof(code)),
        };
        var w = MySqlWireWriter.Begin(writer, 0, payload, out int total);
        w.WriteByte((byte)code);
        w.WriteUInt32(id);
        if (code == CommandCode.StmtFetch)
        {
            w.WriteUInt32(rowCount);
        }
        else if (code == CommandCode.StmtSendLongData)
        {
            w.WriteUInt16(parameterId);
            w.WriteBytes(data);
        }

        w.Finish(writer, total);
    }
}
