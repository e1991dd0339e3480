using System.Buffers;
using System.Text;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.MySql;

/// <summary>Decodes MySQL messages with the typed readers into readable, comparable strings.</summary>
internal static class MyProject
{
    public const MySqlCapabilities Modern = MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection
        | MySqlCapabilities.PluginAuth | MySqlCapabilities.Transactions | MySqlCapabilities.SessionTrack
        | MySqlCapabilities.DeprecateEof | MySqlCapabilities.ConnectAttrs | MySqlCapabilities.PluginAuthLenencClientData;

    public static ProjectingReader Reader(char kind, MySqlCapabilities caps = Modern, MySqlParameterType[]? knownTypes = null,
        int parameterCount = 0, int limit = MySqlLimits.DefaultMaxMessageLength) =>
        (ref SequenceReader<byte> r, out string p) =>
        {
            OperationStatus status = MySqlPacketReader.TryReadMessage(ref r, limit, out MySqlMessage message);
            p = status == OperationStatus.Done ? Project(message, kind, caps, knownTypes ?? [], parameterCount) : "";
            return status;
        };

    public static string Project(in MySqlMessage message, char kind, MySqlCapabilities caps, ReadOnlySpan<MySqlParameterType> knownTypes, int parameterCount)
    {
        ReadOnlySequence<byte> payload;
        if (!message.TryGetPayload(out payload))
        {
            var buffer = new ArrayBufferWriter<byte>();
            message.CopyPayloadTo(buffer);
            payload = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        }

        string body = kind switch
        {
            'H' => Handshake(payload),
            'R' => SslRequest.IsSslRequest(payload) ? Ssl(payload) : Response41(payload),
            'O' => Ok(payload, caps),
            'E' => Err(payload),
            'F' => Eof(payload, caps),
            'P' => PrepareOk(payload),
            'A' => Switch(payload),
            'M' => $"MoreData {Text.HexOf(AuthMoreData.Read(payload))}",
            'C' => Command(payload, caps, knownTypes, parameterCount),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return $"#{message.FirstSequenceId} {body}";
    }

    public static string Handshake(in ReadOnlySequence<byte> payload)
    {
        HandshakeV10 h = HandshakeV10.Read(payload);
        Span<byte> scramble = stackalloc byte[64];
        int n = h.CopyScrambleTo(scramble);
        return $"Handshake {S(h.ServerVersion)} conn={h.ConnectionId} scramble={Convert.ToHexString(scramble[..n])} caps={(uint)h.Capabilities:x8} cs={h.CharacterSet} status={h.StatusFlags} mariadb={h.MariaDbCapabilities:x} plugin={S(h.AuthPluginName)}";
    }

    public static string Ssl(in ReadOnlySequence<byte> payload)
    {
        SslRequest s = SslRequest.Read(payload);
        return $"SslRequest caps={(uint)s.Capabilities:x8} max={s.MaxPacketSize} cs={s.CharacterSet} mariadb={s.MariaDbCapabilities:x}";
    }

    public static string Response41(in ReadOnlySequence<byte> payload)
    {
        HandshakeResponse41 h = HandshakeResponse41.Read(payload);
        var sb = new StringBuilder($"Response caps={(uint)h.Capabilities:x8} max={h.MaxPacketSize} cs={h.CharacterSet} user={S(h.User)} auth={Text.HexOf(h.AuthResponse)} schema={(h.HasSchema ? S(h.Schema) : "-")} plugin={S(h.AuthPluginName)}");
        foreach (ConnectAttribute a in h.ConnectAttributes)
        {
            sb.Append($" [{S(a.Key)}={S(a.Value)}]");
        }

        return sb.ToString();
    }

    public static string Ok(in ReadOnlySequence<byte> payload, MySqlCapabilities caps)
    {
        OkPacket ok = OkPacket.Read(payload, caps);
        return $"OK h={ok.Header} rows={ok.AffectedRows} id={ok.LastInsertId} status={(ushort)ok.Status} warnings={ok.Warnings} info={S(ok.Info)} session={Text.HexOf(ok.SessionStateChanges)}";
    }

    public static string Err(in ReadOnlySequence<byte> payload)
    {
        ErrPacket e = ErrPacket.Read(payload);
        return $"ERR {e.ErrorCode} [{S(e.SqlState)}] {S(e.Message)}";
    }

    public static string Eof(in ReadOnlySequence<byte> payload, MySqlCapabilities caps)
    {
        EofPacket e = EofPacket.Read(payload, caps);
        return $"EOF warnings={e.Warnings} status={(ushort)e.Status}";
    }

    public static string PrepareOk(in ReadOnlySequence<byte> payload)
    {
        StmtPrepareOk p = StmtPrepareOk.Read(payload);
        return $"PrepareOk id={p.StatementId} columns={p.ColumnCount} params={p.ParameterCount} warnings={p.Warnings}";
    }

    public static string Switch(in ReadOnlySequence<byte> payload)
    {
        AuthSwitchRequest a = AuthSwitchRequest.Read(payload);
        return $"AuthSwitch {S(a.PluginName)} {Text.HexOf(a.PluginData)}";
    }

    public static string Command(in ReadOnlySequence<byte> payload, MySqlCapabilities caps, ReadOnlySpan<MySqlParameterType> knownTypes, int parameterCount)
    {
        MySqlCommand command = MySqlCommand.Read(payload);
        switch (command.Code)
        {
            case CommandCode.Query:
                ComQuery q = ComQuery.Read(payload, caps);
                return $"Query attrs={q.AttributeCount} {(q.Text.Length > 200 ? $"<{q.Text.Length} bytes>" : S(q.Text))}";
            case CommandCode.InitDb:
                return $"InitDb {S(ComText.ReadInitDb(payload))}";
            case CommandCode.StmtPrepare:
                return $"Prepare {S(ComText.ReadStmtPrepare(payload))}";
            case CommandCode.StmtExecute:
                return Execute(payload, caps, knownTypes, parameterCount, 0);
            case CommandCode.StmtClose or CommandCode.StmtReset or CommandCode.StmtFetch or CommandCode.StmtSendLongData or CommandCode.ProcessKill:
                ComStatement s = ComStatement.Read(payload);
                return $"{s.Code} id={s.Id} rows={s.RowCount} param={s.ParameterId} data={Text.HexOf(s.Data)}";
            case CommandCode.ChangeUser:
                ComChangeUser c = ComChangeUser.Read(payload, caps);
                return $"ChangeUser user={S(c.User)} auth={Text.HexOf(c.AuthResponse)} schema={S(c.Schema)} cs={c.CharacterSet} plugin={S(c.AuthPluginName)}";
            case CommandCode.FieldList:
                ComFieldList f = ComFieldList.Read(payload);
                return $"FieldList {S(f.Table)} {S(f.Wildcard)}";
            case CommandCode.Quit or CommandCode.Ping or CommandCode.Statistics or CommandCode.ResetConnection:
                MySqlCommand.ReadEmpty(payload, command.Code);
                return command.Code.ToString();
            default:
                return $"Command {command.Code} {command.Body.Length}";
        }
    }

    public static string Execute(in ReadOnlySequence<byte> payload, MySqlCapabilities caps, ReadOnlySpan<MySqlParameterType> knownTypes,
        int parameterCount, ulong longData)
    {
        ComStmtExecute e = ComStmtExecute.Read(payload, parameterCount, knownTypes, caps, longData);
        var sb = new StringBuilder($"Execute id={e.StatementId} flags={e.Flags} iter={e.IterationCount} n={e.ParameterCount} bound={e.NewParamsBound}");
        var buffer = new ArrayBufferWriter<byte>();
        foreach (MySqlBinaryValue value in e.Parameters)
        {
            buffer.Clear();
            value.FormatTo(buffer);
            sb.Append($" [{value.Type.Type}{(value.Type.IsUnsigned ? "u" : "")}:{Encoding.UTF8.GetString(buffer.WrittenSpan)}]");
        }

        return sb.ToString();
    }

    private static string S(in ReadOnlySequence<byte> value) => Text.Of(value);
}
