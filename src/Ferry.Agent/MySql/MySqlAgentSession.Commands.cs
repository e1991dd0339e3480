using System.Buffers;
using System.Globalization;
using System.Text;
using Ferry.Audit;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Rbac;

namespace Ferry.Agent.MySql;

internal sealed partial class MySqlAgentSession
{
    private const int MaxAuditedParameter = 4096;

    /// <summary>Greeting connection ids the proxy hands out start here (see the proxy's MySqlGreeting).</summary>
    private const uint FirstGreetedId = 1u << 30;

    /// <summary>Decides about one whole client command: audit it, and forward, rewrite or refuse it.</summary>
    private CommandVerdict OnCommand(ReadOnlySequence<byte> packet)
    {
        var payload = packet.Slice(MySqlPacketReader.HeaderLength);
        var code = (CommandCode)First(payload);
        CommandVerdict verdict;
        try
        {
            verdict = code switch
            {
                CommandCode.Query => Query(payload),
                CommandCode.InitDb => InitDb(payload),
                CommandCode.StmtPrepare => Prepare(payload),
                CommandCode.StmtExecute => Execute(payload),
                CommandCode.StmtSendLongData or CommandCode.StmtClose or CommandCode.StmtReset or CommandCode.StmtFetch => Statement(payload),
                CommandCode.ProcessKill => ProcessKill(payload),
                CommandCode.ChangeUser => ChangeUser(payload),
                CommandCode.CreateDb => Admin(AuditEventKinds.MySqlCreateDb, payload, "schema"),
                CommandCode.DropDb => Admin(AuditEventKinds.MySqlDropDb, payload, "schema"),
                CommandCode.Shutdown => Admin(AuditEventKinds.MySqlShutDown, payload, null),
                CommandCode.Debug => Admin(AuditEventKinds.MySqlDebug, payload, null),
                CommandCode.Refresh => Admin(AuditEventKinds.MySqlRefresh, payload, "subcommand"),
                CommandCode.ResetConnection => ResetConnection(),
                CommandCode.Quit => Quit(),
                CommandCode.SetOption => SetOption(payload),
                CommandCode.FieldList => FieldList(payload),
                CommandCode.Statistics => Admin(AuditEventKinds.MySqlStatistics, payload, null),
                CommandCode.ProcessInfo => Admin(AuditEventKinds.MySqlProcessInfo, payload, null),
                // COM_PING carries nothing and reads nothing: relayed without an event (pools ping often).
                CommandCode.Ping => CommandVerdict.Forward,
                CommandCode.BinlogDump or CommandCode.BinlogDumpGtid or CommandCode.RegisterSlave => Replication(code),
                _ => RefuseCommand(code),
            };
        }
        catch (MySqlProtocolException e)
        {
            return CommandVerdict.Close(MySqlSessionErrors.Malformed($"{code}: {e.Message}"), $"malformed {code}: {e.Message}");
        }
        if (verdict.Action is CommandAction.Forward or CommandAction.Replace)
        {
            ExpectResponse(code, verdict);
            if (verdict.Hold)
            {
                ArmHold();
            }
        }
        return verdict;
    }

    /// <summary>Tells the response side the shape of the answer to a command about to reach the server.</summary>
    private void ExpectResponse(CommandCode code, CommandVerdict verdict)
    {
        switch (code)
        {
            case CommandCode.StmtClose or CommandCode.StmtSendLongData or CommandCode.Quit:
                break;
            case CommandCode.StmtPrepare:
                _responses.Expect(ExpectedResponse.Prepare);
                break;
            case CommandCode.StmtFetch:
                // Cursor rows: counted and limited like a result set's, one db.session.result per fetch.
                _responses.Expect(ExpectedResponse.Rows, verdict.Tag);
                break;
            case CommandCode.FieldList:
                _responses.Expect(ExpectedResponse.FieldList);
                break;
            case CommandCode.Statistics:
                _responses.Expect(ExpectedResponse.SinglePacket);
                break;
            case CommandCode.BinlogDump or CommandCode.BinlogDumpGtid:
                _responses.Expect(ExpectedResponse.Stream);
                break;
            case CommandCode.ResetConnection:
                // The reset puts the session's tracking variables back to their defaults: the agent's own SET follows it.
                _responses.Expect(ExpectedResponse.Generic);
                _responses.Expect(ExpectedResponse.Generic, AgentOwned.Instance);
                break;
            case CommandCode.Query when verdict.SingleStatement:
                _responses.Expect(ExpectedResponse.Generic, AgentOwned.Instance);
                _responses.Expect(ExpectedResponse.Generic, verdict.Tag);
                _responses.Expect(ExpectedResponse.Generic, AgentOwned.Instance);
                break;
            case CommandCode.Query or CommandCode.StmtExecute:
                _responses.Expect(ExpectedResponse.Generic, verdict.Tag);
                break;
            default:
                _responses.Expect(ExpectedResponse.Generic);
                break;
        }
    }

    private CommandVerdict FieldList(ReadOnlySequence<byte> payload)
    {
        var e = Audit.NewEvent(AuditEventKinds.MySqlFieldList);
        var table = ComFieldList.Read(payload).Table;
        e.Details = new Dictionary<string, string> { ["table"] = Text(table) };
        Audit.Emit(e);
        return CommandVerdict.Forward;
    }

    private CommandVerdict Replication(CommandCode code)
    {
        var name = CommandName(code);
        var decision = Rbac.CheckMySqlReplication(new DatabaseTarget(Db.Name, Db.Labels), Audit.DbUser);
        var e = Audit.NewEvent(decision.Allowed ? AuditEventKinds.MySqlReplicationAllowed : AuditEventKinds.MySqlReplicationDenied);
        e.Details = new Dictionary<string, string> { ["command"] = name };
        if (decision.Allowed)
        {
            Audit.Emit(e);
            return CommandVerdict.Forward;
        }
        var reason = $"{name} is refused: a binlog carries every schema's changes, around db_names; a role must set options.mysql_replication: true ({decision.Reason})";
        e.Success = false;
        e.Error = reason;
        Audit.Emit(e);
        RecordRefusal(AgentRefusals.MySqlCommand, reason);
        return CommandVerdict.Refuse(MySqlSessionErrors.Packet(1, MySqlSessionErrors.SpecificAccessDenied, "42000", reason));
    }

    /// <summary>A command byte Ferry does not relay (server-internal, MariaDB bulk execute, unknown): refused with an ERR.</summary>
    private CommandVerdict RefuseCommand(CommandCode code)
    {
        var name = CommandName(code);
        var reason = $"{name} is not supported through Ferry";
        var e = Audit.NewEvent(AuditEventKinds.MySqlCommandRefused);
        e.Success = false;
        e.Error = reason;
        e.Details = new Dictionary<string, string> { ["command"] = name, ["code"] = $"0x{(byte)code:x2}" };
        Audit.Emit(e);
        RecordRefusal(AgentRefusals.MySqlCommand, reason);
        return CommandVerdict.Refuse(MySqlSessionErrors.Packet(1, MySqlSessionErrors.UnknownCommand, "08S01", reason));
    }

    private static string CommandName(CommandCode code) => code switch
    {
        CommandCode.BinlogDump => "COM_BINLOG_DUMP",
        CommandCode.BinlogDumpGtid => "COM_BINLOG_DUMP_GTID",
        CommandCode.RegisterSlave => "COM_REGISTER_SLAVE",
        CommandCode.Sleep => "COM_SLEEP",
        CommandCode.Connect => "COM_CONNECT",
        CommandCode.Time => "COM_TIME",
        CommandCode.DelayedInsert => "COM_DELAYED_INSERT",
        CommandCode.TableDump => "COM_TABLE_DUMP",
        CommandCode.ConnectOut => "COM_CONNECT_OUT",
        CommandCode.Daemon => "COM_DAEMON",
        CommandCode.StmtBulkExecute => "COM_STMT_BULK_EXECUTE",
        _ => Enum.IsDefined(code) ? $"COM_{code}" : $"command 0x{(byte)code:x2}",
    };

    private CommandVerdict Query(ReadOnlySequence<byte> payload)
    {
        var raw = ComQuery.Read(payload).Text;
        var e = Audit.NewEvent(AuditEventKinds.DbSessionQuery);
        DescribeStatement(e, raw);
        var text = e.Query!;
        if (RefusePinned(e, raw) is { } refused)
        {
            return refused;
        }
        var tag = new MySqlResultTag(text, e.Id, System.Diagnostics.Stopwatch.GetTimestamp());
        var verdict = CommandVerdict.Forward with { Tag = tag };
        if (e.Truncated is null && MySqlKillStatement.TryParse(text, out var id, out var start, out var length) && id >= FirstGreetedId && Ctx.MySql.TryGetThread(id, out var thread))
        {
            var w = new ArrayBufferWriter<byte>(text.Length + 16);
            ComQuery.Write(w, Encoding.UTF8.GetBytes(MySqlKillStatement.Rewrite(text, start, length, thread)));
            verdict = CommandVerdict.Replace(w.WrittenSpan.ToArray()) with { Tag = tag };
            e.Details = new Dictionary<string, string> { ["thread_id"] = thread.ToString(CultureInfo.InvariantCulture) };
        }
        Audit.Emit(e);
        return MayChangeSchema(raw) ? SingleStatement(HoldIfRestricted(verdict), payload) : verdict;
    }

    private CommandVerdict InitDb(ReadOnlySequence<byte> payload)
    {
        var schema = Text(ComText.ReadInitDb(payload));
        var e = Audit.NewEvent(AuditEventKinds.MySqlInitDb);
        e.DbName = schema;
        var denial = CheckDbName(schema);
        if (denial is not null)
        {
            e.Success = false;
            e.Error = denial;
            Audit.Emit(e);
            return CommandVerdict.Refuse(MySqlSessionErrors.Packet(1, MySqlSessionErrors.DbAccessDenied, "42000", denial));
        }
        Audit.Emit(e);
        Audit.DbName = schema;
        return HoldIfRestricted(CommandVerdict.Forward);
    }

    private CommandVerdict Prepare(ReadOnlySequence<byte> payload)
    {
        var e = Audit.NewEvent(AuditEventKinds.MySqlStatementPrepare);
        var prepared = ComText.ReadStmtPrepare(payload);
        DescribeStatement(e, prepared);
        var text = e.Query!;
        if (RefusePinned(e, prepared) is { } refused)
        {
            return refused;
        }
        Audit.Emit(e);
        // Set before the command reaches the server, so that the response relay is waiting for its answer.
        _pendingPrepares.Enqueue(text);
        return CommandVerdict.Forward;
    }

    /// <summary>The first packet answering a COM_STMT_PREPARE: COM_STMT_PREPARE_OK (statement id, parameter count) or ERR.</summary>
    private void OnPrepareResponse(ReadOnlySequence<byte> packet)
    {
        if (!_pendingPrepares.TryDequeue(out var query))
        {
            return;
        }
        var payload = packet.Slice(MySqlPacketReader.HeaderLength);
        if ( Response.Classify(payload) != ResponseKind.Ok || payload.Length < StmtPrepareOk.PayloadLength)
        {
            return;
        }
        try
        {
            var ok = StmtPrepareOk.Read(payload);
            _statements[ok.StatementId] = new MySqlStatement(query, ok.ParameterCount);
        }
        catch (MySqlProtocolException e)
        {
            // The client still gets the server's answer as is; only the statement's text is not remembered, so its
            // executes are audited without it.
            AgentLog.MalformedPrepareOk(Ctx.Log, Db.Name, e.Message);
        }
    }

    private CommandVerdict Execute(ReadOnlySequence<byte> payload)
    {
        var id = ComStmtExecute.PeekStatementId(payload);
        var e = Audit.NewEvent(AuditEventKinds.MySqlStatementExecute);
        e.StatementId = id;
        if (_statements.TryGetValue(id, out var statement))
        {
            e.Query = statement.Query;
            try
            {
                e.Parameters = DecodeParameters(payload, statement, Ctx.MaxStatementBytes, out var cut);
                e.TruncatedParameters = cut;
            }
            catch (MySqlProtocolException ex)
            {
                // The statement's shape may be mis-tracked (a client that pipelines prepares): the server
                // validates the packet itself, so it is forwarded and audited without parameters.
                e.Details = new Dictionary<string, string> { ["parameters_error"] = ex.Message };
            }
            statement.LongDataMask = 0;
            statement.CursorRows = statement.CursorBytes = 0;
        }
        Audit.Emit(e);
        return CommandVerdict.Forward with { Tag = new MySqlResultTag(null, e.Id, System.Diagnostics.Stopwatch.GetTimestamp()) };
    }

    private static List<string?> DecodeParameters(ReadOnlySequence<byte> payload, MySqlStatement statement, int budget, out List<AuditTruncatedValue>? cut)
    {
        cut = null;
        var known = statement.TypesKnown ? statement.Types : [];
        var execute = ComStmtExecute.Read(payload, statement.ParameterCount, known, MySqlCapabilities.None, statement.LongDataMask);
        if (execute.NewParamsBound)
        {
            execute.CopyBoundTypesTo(statement.Types);
            statement.TypesKnown = true;
        }
        var values = new List<string?>(execute.ParameterCount);
        var formatted = new ArrayBufferWriter<byte>(64);
        foreach (var p in execute.Parameters)
        {
            if (p.IsNull)
            {
                values.Add(null);
                continue;
            }
            values.Add(BoundedParameter(p, formatted, ref budget, ref cut));
        }
        return values;
    }

    private CommandVerdict Statement(ReadOnlySequence<byte> payload)
    {
        var command = ComStatement.Read(payload);
        _statements.TryGetValue(command.Id, out var statement);
        AuditEvent e;
        switch (command.Code)
        {
            case CommandCode.StmtSendLongData:
                e = Audit.NewEvent(AuditEventKinds.MySqlStatementSendLongData);
                e.Details = new Dictionary<string, string>
                {
                    ["parameter_id"] = command.ParameterId.ToString(CultureInfo.InvariantCulture),
                    ["data_length"] = command.Data.Length.ToString(CultureInfo.InvariantCulture),
                };
                if (statement is not null && command.ParameterId < 64)
                {
                    statement.LongDataMask |= 1UL << command.ParameterId;
                }
                break;
            case CommandCode.StmtClose:
                e = Audit.NewEvent(AuditEventKinds.MySqlStatementClose);
                _statements.TryRemove(command.Id, out _);
                break;
            case CommandCode.StmtReset:
                e = Audit.NewEvent(AuditEventKinds.MySqlStatementReset);
                if (statement is not null)
                {
                    statement.LongDataMask = 0;
                }
                break;
            default:
                e = Audit.NewEvent(AuditEventKinds.MySqlStatementFetch);
                e.Rows = command.RowCount;
                break;
        }
        e.StatementId = command.Id;
        e.Query = statement?.Query;
        Audit.Emit(e);
        return command.Code == CommandCode.StmtFetch
            ? CommandVerdict.Forward with { Tag = new MySqlResultTag(null, e.Id, System.Diagnostics.Stopwatch.GetTimestamp(), statement) }
            : CommandVerdict.Forward;
    }

    private CommandVerdict ProcessKill(ReadOnlySequence<byte> payload)
    {
        var command = ComStatement.Read(payload);
        var e = Audit.NewEvent(AuditEventKinds.MySqlProcessKill);
        e.Details = new Dictionary<string, string> { ["process_id"] = command.Id.ToString(CultureInfo.InvariantCulture) };
        var verdict = CommandVerdict.Forward;
        if (command.Id >= FirstGreetedId && Ctx.MySql.TryGetThread(command.Id, out var thread))
        {
            var w = new ArrayBufferWriter<byte>(16);
            ComStatement.Write(w, CommandCode.ProcessKill, thread);
            verdict = CommandVerdict.Replace(w.WrittenSpan.ToArray());
            e.Details = new Dictionary<string, string>
            {
                ["process_id"] = command.Id.ToString(CultureInfo.InvariantCulture),
                ["thread_id"] = thread.ToString(CultureInfo.InvariantCulture),
            };
        }
        Audit.Emit(e);
        return verdict;
    }

    private CommandVerdict ChangeUser(ReadOnlySequence<byte> payload)
    {
        var requested = Text(ComChangeUser.Read(payload, _caps).User);
        var reason = $"COM_CHANGE_USER (to \"{requested}\") is refused: through Ferry the database user comes from your certificate and is checked by RBAC once per connection; open a new connection with --user {requested} instead";
        var e = Audit.NewEvent(AuditEventKinds.MySqlChangeUser);
        e.DbUser = requested;
        e.Success = false;
        e.Error = reason;
        Audit.Emit(e);
        return CommandVerdict.Refuse(MySqlSessionErrors.Packet(1, MySqlSessionErrors.NotSupported, "42000", reason));
    }

    private CommandVerdict Quit()
    {
        // The server closes the connection on COM_QUIT: whichever side's end is seen first, the client ended it.
        _clientQuit = true;
        return CommandVerdict.Forward;
    }

    private CommandVerdict ResetConnection()
    {
        Audit.Emit(Audit.NewEvent(AuditEventKinds.MySqlResetConnection));
        // The server forgets every prepared statement.
        _statements.Clear();
        var w = new ArrayBufferWriter<byte>(256);
        // COM_RESET_CONNECTION: payload length 1, sequence id 0, then the command byte.
        w.Write<byte>([1, 0, 0, 0, (byte)CommandCode.ResetConnection]);
        // The reset also forgets the settings the roles pin: the same statement as after the login sets them again.
        ComQuery.Write(w, MySqlBackendConnector.SessionSetupStatement(_backend!.ServerVersion, Rbac.StatementTimeout, Rbac.ReadOnly));
        return CommandVerdict.Replace(w.WrittenSpan.ToArray());
    }

    private CommandVerdict Admin(AuditEventKind kind, ReadOnlySequence<byte> payload, string? detail)
    {
        var e = Audit.NewEvent(kind);
        var body = payload.Slice(1);
        if (detail is "schema")
        {
            e.DbName = Text(body);
        }
        else if (detail is not null && !body.IsEmpty)
        {
            var value = body.Length >= 2 ? (body.FirstSpan.Length >= 2 ? body.FirstSpan[0] | (body.FirstSpan[1] << 8) : First(body)) : First(body);
            e.Details = new Dictionary<string, string> { [detail] = value.ToString(CultureInfo.InvariantCulture) };
        }
        Audit.Emit(e);
        return CommandVerdict.Forward;
    }

    private static byte First(in ReadOnlySequence<byte> payload) => payload.FirstSpan.Length > 0 ? payload.FirstSpan[0] : payload.Slice(0, 1).FirstSpan[0];

    private static string Text(in ReadOnlySequence<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
