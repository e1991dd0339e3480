using System.Buffers;
using System.Globalization;
using System.Text;
using Ferry.Audit;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

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
        try
        {
            return code switch
            {
                CommandCode.Query => Query(payload),
                CommandCode.InitDb => InitDb(payload),
                CommandCode.StmtPrepare => Prepare(payload),
                CommandCode.StmtExecute => Execute(payload),
                CommandCode.StmtSendLongData or CommandCode.StmtClose or CommandCode.StmtReset or CommandCode.StmtFetch => Statement(payload),
                CommandCode.ProcessKill => ProcessKill(payload),
                CommandCode.ChangeUser => ChangeUser(payload),
                CommandCode.CreateDb => Admin(AuditEventTypes.MySqlCreateDb, AuditEventCodes.MySqlCreateDb, payload, "schema"),
                CommandCode.DropDb => Admin(AuditEventTypes.MySqlDropDb, AuditEventCodes.MySqlDropDb, payload, "schema"),
                CommandCode.Shutdown => Admin(AuditEventTypes.MySqlShutDown, AuditEventCodes.MySqlShutDown, payload, null),
                CommandCode.Debug => Admin(AuditEventTypes.MySqlDebug, AuditEventCodes.MySqlDebug, payload, null),
                CommandCode.Refresh => Admin(AuditEventTypes.MySqlRefresh, AuditEventCodes.MySqlRefresh, payload, "subcommand"),
                CommandCode.ResetConnection => ResetConnection(),
                CommandCode.Quit => Quit(),
                CommandCode.SetOption => Admin(AuditEventTypes.MySqlSetOption, AuditEventCodes.MySqlSetOption, payload, "option"),
                _ => CommandVerdict.Forward,
            };
        }
        catch (MySqlProtocolException e)
        {
            return CommandVerdict.Close(MySqlSessionErrors.Malformed($"{code}: {e.Message}"), $"malformed {code}: {e.Message}");
        }
    }

    private CommandVerdict Query(ReadOnlySequence<byte> payload)
    {
        var text = Text(ComQuery.Read(payload).Text);
        var e = NewEvent(AuditEventTypes.DbSessionQuery, AuditEventCodes.DbSessionQuery);
        e.Query = text;
        var verdict = CommandVerdict.Forward;
        if (MySqlKillStatement.TryParse(text, out var id, out var start, out var length) && id >= FirstGreetedId && _ctx.MySql.TryGetThread(id, out var thread))
        {
            var w = new ArrayBufferWriter<byte>(text.Length + 16);
            ComQuery.Write(w, Encoding.UTF8.GetBytes(MySqlKillStatement.Rewrite(text, start, length, thread)));
            verdict = CommandVerdict.Replace(w.WrittenSpan.ToArray());
            e.Details = new Dictionary<string, string> { ["thread_id"] = thread.ToString(CultureInfo.InvariantCulture) };
        }
        _ctx.Audit.Emit(e);
        return verdict;
    }

    private CommandVerdict InitDb(ReadOnlySequence<byte> payload)
    {
        var schema = Text(ComText.ReadInitDb(payload));
        var e = NewEvent(AuditEventTypes.MySqlInitDb, AuditEventCodes.MySqlInitDb);
        e.DbName = schema;
        var denial = CheckSchema(schema);
        if (denial is not null)
        {
            e.Success = false;
            e.Error = denial;
            _ctx.Audit.Emit(e);
            return CommandVerdict.Refuse(MySqlSessionErrors.Packet(1, MySqlSessionErrors.DbAccessDenied, "42000", denial));
        }
        _ctx.Audit.Emit(e);
        _audit.DbName = schema;
        return CommandVerdict.Forward;
    }

    private CommandVerdict Prepare(ReadOnlySequence<byte> payload)
    {
        var text = Text(ComText.ReadStmtPrepare(payload));
        var e = NewEvent(AuditEventTypes.MySqlStatementPrepare, AuditEventCodes.MySqlStatementPrepare);
        e.Query = text;
        _ctx.Audit.Emit(e);
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
            AgentLog.MalformedPrepareOk(_ctx.Log, _db.Name, e.Message);
        }
    }

    private CommandVerdict Execute(ReadOnlySequence<byte> payload)
    {
        var id = ComStmtExecute.PeekStatementId(payload);
        var e = NewEvent(AuditEventTypes.MySqlStatementExecute, AuditEventCodes.MySqlStatementExecute);
        e.StatementId = id;
        if (_statements.TryGetValue(id, out var statement))
        {
            e.Query = statement.Query;
            try
            {
                e.Parameters = DecodeParameters(payload, statement);
            }
            catch (MySqlProtocolException ex)
            {
                // The statement's shape may be mis-tracked (a client that pipelines prepares): the server
                // validates the packet itself, so it is forwarded and audited without parameters.
                e.Details = new Dictionary<string, string> { ["parameters_error"] = ex.Message };
            }
            statement.LongDataMask = 0;
        }
        _ctx.Audit.Emit(e);
        return CommandVerdict.Forward;
    }

    private static List<string?> DecodeParameters(ReadOnlySequence<byte> payload, MySqlStatement statement)
    {
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
            formatted.ResetWrittenCount();
            p.FormatTo(formatted);
            values.Add(formatted.WrittenCount > MaxAuditedParameter
                ? Encoding.UTF8.GetString(formatted.WrittenSpan[..MaxAuditedParameter]) + $"…({formatted.WrittenCount} bytes)"
                : Encoding.UTF8.GetString(formatted.WrittenSpan));
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
                e = NewEvent(AuditEventTypes.MySqlStatementSendLongData, AuditEventCodes.MySqlStatementSendLongData);
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
                e = NewEvent(AuditEventTypes.MySqlStatementClose, AuditEventCodes.MySqlStatementClose);
                _statements.TryRemove(command.Id, out _);
                break;
            case CommandCode.StmtReset:
                e = NewEvent(AuditEventTypes.MySqlStatementReset, AuditEventCodes.MySqlStatementReset);
                if (statement is not null)
                {
                    statement.LongDataMask = 0;
                }
                break;
            default:
                e = NewEvent(AuditEventTypes.MySqlStatementFetch, AuditEventCodes.MySqlStatementFetch);
                e.Rows = command.RowCount;
                break;
        }
        e.StatementId = command.Id;
        e.Query = statement?.Query;
        _ctx.Audit.Emit(e);
        return CommandVerdict.Forward;
    }

    private CommandVerdict ProcessKill(ReadOnlySequence<byte> payload)
    {
        var command = ComStatement.Read(payload);
        var e = NewEvent(AuditEventTypes.MySqlProcessKill, AuditEventCodes.MySqlProcessKill);
        e.Details = new Dictionary<string, string> { ["process_id"] = command.Id.ToString(CultureInfo.InvariantCulture) };
        var verdict = CommandVerdict.Forward;
        if (command.Id >= FirstGreetedId && _ctx.MySql.TryGetThread(command.Id, out var thread))
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
        _ctx.Audit.Emit(e);
        return verdict;
    }

    private CommandVerdict ChangeUser(ReadOnlySequence<byte> payload)
    {
        var requested = Text(ComChangeUser.Read(payload, _caps).User);
        var reason = $"COM_CHANGE_USER (to \"{requested}\") is refused: through Ferry the database user comes from your certificate and is checked by RBAC once per connection; open a new connection with --user {requested} instead";
        var e = NewEvent(AuditEventTypes.MySqlChangeUser, AuditEventCodes.MySqlChangeUser);
        e.DbUser = requested;
        e.Success = false;
        e.Error = reason;
        _ctx.Audit.Emit(e);
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
        _ctx.Audit.Emit(NewEvent(AuditEventTypes.MySqlResetConnection, AuditEventCodes.MySqlResetConnection));
        // The server forgets every prepared statement.
        _statements.Clear();
        return CommandVerdict.Forward;
    }

    private CommandVerdict Admin(string type, string code, ReadOnlySequence<byte> payload, string? detail)
    {
        var e = NewEvent(type, code);
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
        _ctx.Audit.Emit(e);
        return CommandVerdict.Forward;
    }

    /// <summary>A command too large to hold: audited from its first bytes, then streamed.</summary>
    private void OnLargeCommand(ReadOnlySequence<byte> prefix, long declaredLength)
    {
        var payload = prefix.Slice(MySqlPacketReader.HeaderLength);
        if (payload.IsEmpty)
        {
            return;
        }
        var code = (CommandCode)First(payload);
        var (type, auditCode) = code switch
        {
            CommandCode.Query => (AuditEventTypes.DbSessionQuery, AuditEventCodes.DbSessionQuery),
            CommandCode.StmtPrepare => (AuditEventTypes.MySqlStatementPrepare, AuditEventCodes.MySqlStatementPrepare),
            CommandCode.StmtExecute => (AuditEventTypes.MySqlStatementExecute, AuditEventCodes.MySqlStatementExecute),
            CommandCode.StmtSendLongData => (AuditEventTypes.MySqlStatementSendLongData, AuditEventCodes.MySqlStatementSendLongData),
            _ => (null, null),
        };
        if (type is null || auditCode is null)
        {
            return;
        }
        var e = NewEvent(type, auditCode);
        if (code is CommandCode.Query or CommandCode.StmtPrepare)
        {
            e.Query = Text(payload.Slice(1)) + $"…({declaredLength} bytes)";
        }
        e.Details = new Dictionary<string, string> { ["truncated"] = "true", ["length"] = declaredLength.ToString(CultureInfo.InvariantCulture) };
        _ctx.Audit.Emit(e);
    }

    private static byte First(in ReadOnlySequence<byte> payload) => payload.FirstSpan.Length > 0 ? payload.FirstSpan[0] : payload.Slice(0, 1).FirstSpan[0];

    private static string Text(in ReadOnlySequence<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
