using System.Buffers;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// One entry point per parser. Each feeds the input as a stream (and split in two, to exercise the
/// multi-segment paths), decodes every frame with the typed readers, and lets only the typed protocol
/// exceptions through as "rejected". Anything else (IndexOutOfRange, ArgumentOutOfRange, a hang) is a bug.
/// </summary>
internal static partial class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["pg-startup"] = data => Guard(data, PgStartup),
        ["pg-frontend"] = data => Guard(data, PgFrontend),
        ["pg-backend"] = data => Guard(data, PgBackend),
        ["mysql-client"] = data => Guard(data, MySqlClient),
        ["mysql-server"] = data => Guard(data, MySqlServer),
        ["mysql-execute"] = data => Guard(data, MySqlExecute),
        ["tls-client-hello"] = data => Guard(data, TlsHello),
        ["pg-sniff"] = data => Guard(data, PgSniff),
        ["pg-relay-scan"] = data => Guard(data, PgRelayScan),
        ["pg-streams"] = data => Guard(data, PgStreams),
        ["mysql-relay-scan"] = data => Guard(data, MySqlRelayScan),
        ["mysql-responses"] = data => Guard(data, MySqlResponses),
        ["tunnel-header"] = data => Guard(data, TunnelHeader),
        ["proxy-header"] = data => Guard(data, ProxyHeader),
        ["pinned-settings"] = data => Guard(data, PinnedSettings),
        ["wire-postgres"] = data => Guard(data, WirePostgres),
        ["wire-mysql"] = data => Guard(data, WireMySql),
        ["webauthn"] = data => Guard(data, WebAuthn),
        ["audit-upload"] = AuditUpload,
        ["audit-spool"] = AuditSpoolSegment,
        ["heartbeat"] = Heartbeat,
        ["tls-client-stream"] = TlsClientStream,
        ["tls-server-stream"] = TlsServerStream,
    };

    private static void Guard(byte[] data, Action<ReadOnlySequence<byte>> target)
    {
        try
        {
            target(new ReadOnlySequence<byte>(data));
        }
        catch (PostgresProtocolException)
        {
        }
        catch (MySqlProtocolException)
        {
        }

        if (data.Length > 1)
        {
            try
            {
                target(Split(data, data[0] % data.Length));
            }
            catch (PostgresProtocolException)
            {
            }
            catch (MySqlProtocolException)
            {
            }
        }
    }

    /// <summary>
    /// The agent's statement filter for pinned settings (statement_timeout, read_only) reads the text of every client
    /// statement of such a session: any text must give an answer in both dialects without throwing.
    /// </summary>
    private static void PinnedSettings(ReadOnlySequence<byte> input)
    {
        var sql = System.Text.Encoding.UTF8.GetString(input.ToArray());
        _ = Ferry.Agent.PinnedSettingsFilter.Violation(sql, Ferry.Agent.PinnedSettingsFilter.Dialect.Postgres, timeout: true, readOnly: true);
        _ = Ferry.Agent.PinnedSettingsFilter.Violation(sql, Ferry.Agent.PinnedSettingsFilter.Dialect.MySql, timeout: true, readOnly: true);
    }

    private static void PgStartup(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        while (StartupPacketReader.TryRead(ref reader, out StartupPacket packet) == OperationStatus.Done)
        {
            switch (packet.Kind)
            {
                case StartupPacketKind.StartupMessage:
                    StartupMessage m = StartupMessage.Read(packet);
                    foreach (StartupParameter p in m.Parameters)
                    {
                        _ = p.IsProtocolOption;
                    }

                    break;
                case StartupPacketKind.CancelRequest:
                    _ = CancelRequest.Read(packet).SecretKey.Length;
                    break;
                default:
                    break;
            }
        }
    }

    private static void PgFrontend(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.MaxPreAuthMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            switch ((FrontendMessageCode)frame.Code)
            {
                case FrontendMessageCode.Query: Query.Read(frame); break;
                case FrontendMessageCode.Parse:
                    Parse parse = Parse.Read(frame);
                    for (int i = 0; i < parse.ParameterTypeCount; i++)
                    {
                        parse.GetParameterType(i);
                    }

                    break;
                case FrontendMessageCode.Bind:
                    Bind bind = Bind.Read(frame);
                    foreach (ParameterValue value in bind.Parameters)
                    {
                        _ = value.Value.Length;
                    }

                    for (int i = 0; i < bind.ResultFormatCount; i++)
                    {
                        bind.GetResultFormat(i);
                    }

                    break;
                case FrontendMessageCode.Describe or FrontendMessageCode.Close: Describe.Read(frame); break;
                case FrontendMessageCode.Execute: Execute.Read(frame); break;
                case FrontendMessageCode.FunctionCall:
                    foreach (ParameterValue value in FunctionCall.Read(frame).Arguments)
                    {
                        _ = value.IsNull;
                    }

                    break;
                case FrontendMessageCode.CopyFail: CopyFail.Read(frame); break;
                case FrontendMessageCode.PasswordMessage:
                    // The auth state decides which; try each, as a proxy in any state might.
                    try
                    {
                        PasswordMessage.Read(frame);
                    }
                    catch (PostgresProtocolException)
                    {
                    }

                    try
                    {
                        SaslInitialResponse.Read(frame);
                    }
                    catch (PostgresProtocolException)
                    {
                    }

                    SaslResponse.Read(frame);
                    break;
                case FrontendMessageCode.Sync or FrontendMessageCode.Flush or FrontendMessageCode.Terminate or FrontendMessageCode.CopyDone:
                    EmptyMessage.Read(frame);
                    break;
                default: break;
            }
        }
    }

    private static void PgBackend(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.MaxPreAuthMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            switch ((BackendMessageCode)frame.Code)
            {
                case BackendMessageCode.Authentication: Authentication.Read(frame); break;
                case BackendMessageCode.BackendKeyData: BackendKeyData.Read(frame); break;
                case BackendMessageCode.ParameterStatus: ParameterStatus.Read(frame); break;
                case BackendMessageCode.ReadyForQuery: ReadyForQuery.Read(frame); break;
                case BackendMessageCode.ErrorResponse or BackendMessageCode.NoticeResponse:
                    foreach (ErrorFieldValue field in ErrorResponse.Read(frame).Fields)
                    {
                        _ = field.Value.Length;
                    }

                    break;
                case BackendMessageCode.CommandComplete: CommandComplete.Read(frame); break;
                case BackendMessageCode.DataRow:
                    foreach (ParameterValue value in DataRow.Read(frame).Columns)
                    {
                        _ = value.Value.Length;
                    }

                    break;
                case BackendMessageCode.RowDescription: RowDescription.Read(frame); break;
                case BackendMessageCode.CopyInResponse or BackendMessageCode.CopyOutResponse or BackendMessageCode.CopyBothResponse:
                    CopyResponse.Read(frame);
                    break;
                case BackendMessageCode.NotificationResponse: NotificationResponse.Read(frame); break;
                case BackendMessageCode.NegotiateProtocolVersion: NegotiateProtocolVersion.Read(frame); break;
                case BackendMessageCode.ParameterDescription: ParameterDescription.Read(frame); break;
                default: break;
            }
        }
    }

    private static void MySqlClient(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        bool first = true;
        MySqlCapabilities caps = MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection | MySqlCapabilities.PluginAuth
            | MySqlCapabilities.ConnectAttrs | MySqlCapabilities.QueryAttributes;
        while (MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.MaxPreAuthPayloadLength, out MySqlMessage message) == OperationStatus.Done)
        {
            if (!message.TryGetPayload(out ReadOnlySequence<byte> payload))
            {
                continue;
            }

            if (first)
            {
                first = false;
                if (SslRequest.IsSslRequest(payload))
                {
                    SslRequest.Read(payload);
                }
                else
                {
                    HandshakeResponse41 response = HandshakeResponse41.Read(payload);
                    foreach (ConnectAttribute attribute in response.ConnectAttributes)
                    {
                        _ = attribute.Value.Length;
                    }
                }

                continue;
            }

            MySqlCommand command = MySqlCommand.Read(payload);
            switch (command.Code)
            {
                case CommandCode.Query: ComQuery.Read(payload, caps); break;
                case CommandCode.InitDb: ComText.ReadInitDb(payload); break;
                case CommandCode.StmtPrepare: ComText.ReadStmtPrepare(payload); break;
                case CommandCode.StmtClose or CommandCode.StmtReset or CommandCode.StmtFetch or CommandCode.StmtSendLongData or CommandCode.ProcessKill:
                    ComStatement.Read(payload);
                    break;
                case CommandCode.ChangeUser:
                    foreach (ConnectAttribute attribute in ComChangeUser.Read(payload, caps).ConnectAttributes)
                    {
                        _ = attribute.Key.Length;
                    }

                    break;
                case CommandCode.FieldList: ComFieldList.Read(payload); break;
                case CommandCode.Quit or CommandCode.Ping or CommandCode.Statistics or CommandCode.ResetConnection:
                    MySqlCommand.ReadEmpty(payload, command.Code);
                    break;
                case CommandCode.StmtExecute:
                    DecodeExecute(payload, caps);
                    break;
                default: break;
            }
        }
    }

    private static void MySqlExecute(ReadOnlySequence<byte> input)
    {
        if (input.Length < 2)
        {
            return;
        }

        // First byte: parameter count; the rest: a COM_STMT_EXECUTE payload, read without and with query attributes.
        int count = input.Slice(0, 1).ToArray()[0] % 40;
        var payload = input.Slice(1);
        if (MySqlCommand.Read(payload).Code != CommandCode.StmtExecute)
        {
            return;
        }

        DecodeExecute(payload, MySqlCapabilities.None, count);
        DecodeExecute(payload, MySqlCapabilities.QueryAttributes, count);
    }

    private static void DecodeExecute(ReadOnlySequence<byte> payload, MySqlCapabilities caps, int count = 3)
    {
        MySqlParameterType[] known = [new(MySqlColumnType.Long, false), new(MySqlColumnType.VarString, false), new(MySqlColumnType.DateTime, false)];
        ComStmtExecute execute = ComStmtExecute.Read(payload, count, count <= known.Length ? known : [], caps, longDataMask: 2);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (MySqlBinaryValue value in execute.Parameters)
        {
            buffer.Clear();
            value.FormatTo(buffer);
        }

        Span<MySqlParameterType> bound = stackalloc MySqlParameterType[execute.ParameterCount];
        execute.CopyBoundTypesTo(bound);
    }

    private static void MySqlServer(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        bool first = true;
        MySqlCapabilities caps = MySqlCapabilities.Protocol41 | MySqlCapabilities.SessionTrack | MySqlCapabilities.Transactions;
        while (MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.MaxPreAuthPayloadLength, out MySqlMessage message) == OperationStatus.Done)
        {
            if (!message.TryGetPayload(out ReadOnlySequence<byte> payload))
            {
                continue;
            }

            if (first)
            {
                first = false;
                HandshakeV10 handshake = HandshakeV10.Read(payload);
                handshake.CopyScrambleTo(new byte[handshake.ScrambleByteCount]);
                continue;
            }

            switch (Response.Classify(payload))
            {
                case ResponseKind.Ok:
                    OkPacket.Read(payload, caps);
                    if (payload.Length == StmtPrepareOk.PayloadLength)
                    {
                        StmtPrepareOk.Read(payload);
                    }

                    break;
                case ResponseKind.Err: ErrPacket.Read(payload); break;
                case ResponseKind.Eof:
                    try
                    {
                        EofPacket.Read(payload, caps);
                    }
                    catch (MySqlProtocolException)
                    {
                    }

                    AuthSwitchRequest.Read(payload);
                    break;
                default:
                    if (!payload.IsEmpty && payload.Slice(0, 1).ToArray()[0] == AuthMoreData.Header)
                    {
                        AuthMoreData.Read(payload);
                    }

                    break;
            }
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] data, int offset)
    {
        var first = new Segment(data.AsMemory(0, offset), 0);
        Segment last = first.Append(data.AsMemory(offset));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
