using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Ferry.Agent.Postgres;
using Ferry.Audit;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.MySql;

/// <summary>
/// How statements of any size reach the audit: text up to <c>agent.max_statement_bytes</c> with the true length and
/// SHA-256 of the whole, for commands held whole and for commands too large to hold (streamed, never held).
/// </summary>
internal sealed partial class MySqlAgentSession
{
    /// <summary>The statement fields of a COM_QUERY or COM_STMT_PREPARE held whole.</summary>
    private void DescribeStatement(AuditEvent e, in ReadOnlySequence<byte> text)
    {
        StatementCapture.Describe(e, text, Ctx.MaxStatementBytes);
        NoteTruncation(e);
    }

    private void NoteTruncation(AuditEvent e)
    {
        if (e.Truncated == true)
        {
            Ferry.Diagnostics.FerryMetrics.StatementTruncated("mysql");
            AgentLog.StatementTruncated(Ctx.Log, Audit.SessionId, Db.Name, e.Type, e.QueryLength ?? 0, Ctx.MaxStatementBytes);
        }
    }

    /// <summary>
    /// A statement-execute parameter as the event shows it: its SQL-literal rendering, formatted from at most 4 KiB of
    /// the value and at most <paramref name="budget"/> bytes for all parameters together; one cut is listed in
    /// <paramref name="cut"/> with the true length and SHA-256 of its raw bytes as sent.
    /// </summary>
    private static string BoundedParameter(MySqlBinaryValue p, ArrayBufferWriter<byte> formatted, ref int budget, ref List<AuditTruncatedValue>? cut)
    {
        var keep = (int)Math.Min(Math.Min(p.Raw.Length, MaxAuditedParameter), Math.Max(budget, 0));
        var shown = keep < p.Raw.Length && !p.IsLongData ? new MySqlBinaryValue(p.Index, p.Type, p.IsNull, p.IsLongData, p.Raw.Slice(0, keep)) : p;
        formatted.ResetWrittenCount();
        try
        {
            shown.FormatTo(formatted);
        }
        catch (ArgumentException)
        {
            // A fixed-size value cut short cannot be formatted: show nothing of it, the digest still says what it was.
            formatted.ResetWrittenCount();
        }
        var rendered = formatted.WrittenSpan.Length > MaxAuditedParameter * 2 + 3 ? formatted.WrittenSpan[..(MaxAuditedParameter * 2 + 3)] : formatted.WrittenSpan;
        budget -= rendered.Length;
        if (keep < p.Raw.Length && !p.IsLongData)
        {
            (cut ??= []).Add(new AuditTruncatedValue(p.Index, p.Raw.Length, StatementCapture.Sha256Hex(p.Raw)));
        }
        return StatementCapture.PrefixText(rendered, keep < p.Raw.Length);
    }

    /// <summary>A command too large to hold (over <c>proxy.max_message_bytes</c>, or of 16 MiB packets): streamed, audited when it ends.</summary>
    /// <remarks>
    /// Only statements and their data may be this large: anything else is refused and the connection closed (its bytes
    /// cannot be skipped without reading them all).
    /// </remarks>
    private LargeCommandStart OnLargeCommand(byte commandByte, long firstPacketLength)
    {
        var code = (CommandCode)commandByte;
        var pinned = (Rbac.StatementTimeout is not null || Rbac.ReadOnly) && code is CommandCode.Query or CommandCode.StmtPrepare;
        if (!pinned && code is CommandCode.Query or CommandCode.StmtPrepare or CommandCode.StmtExecute or CommandCode.StmtSendLongData)
        {
            var hold = code == CommandCode.Query && HoldIfRestricted(CommandVerdict.Forward).Hold;
            var wrap = hold && _clientMultiStatements;
            if (wrap)
            {
                // The agent's COM_SET_OPTION(OFF) goes first: its answer is expected before it is sent.
                _responses.Expect(ExpectedResponse.Generic, AgentOwned.Instance);
            }
            return new LargeCommandStart(new LargeCommand(this, Ctx.MaxStatementBytes, firstPacketLength)
            {
                Hold = hold,
                Before = wrap ? MultiStatementsOff : null,
                After = wrap ? MultiStatementsOnAgain : null,
            }, null);
        }
        var reason = pinned
            ? $"{CommandName(code)} of {firstPacketLength} bytes or more cannot be checked against the settings your roles pin (statement_timeout, read_only)"
            : $"{CommandName(code)} of {firstPacketLength} bytes or more is not supported through Ferry";
        var refused = Audit.NewEvent(AuditEventKinds.MySqlCommandRefused);
        refused.Success = false;
        refused.Error = reason;
        refused.Details = new Dictionary<string, string> { ["command"] = CommandName(code), ["code"] = $"0x{commandByte:x2}" };
        Audit.Emit(refused);
        RecordRefusal(AgentRefusals.MySqlCommand, reason);
        return new LargeCommandStart(null, CommandVerdict.Close(MySqlSessionErrors.Packet(1, MySqlSessionErrors.UnknownCommand, "08S01", reason + ": closing this connection"), reason));
    }

    private void LargeCommandDone(byte code, StatementCapture body)
    {
        var e = (CommandCode)code switch
        {
            CommandCode.Query => Audit.NewEvent(AuditEventKinds.DbSessionQuery),
            CommandCode.StmtPrepare => Audit.NewEvent(AuditEventKinds.MySqlStatementPrepare),
            CommandCode.StmtExecute => Audit.NewEvent(AuditEventKinds.MySqlStatementExecute),
            CommandCode.StmtSendLongData => Audit.NewEvent(AuditEventKinds.MySqlStatementSendLongData),
            _ => null,
        };
        if (e is null)
        {
            body.Dispose();
            return;
        }
        switch ((CommandCode)code)
        {
            case CommandCode.Query:
            case CommandCode.StmtPrepare:
                body.ApplyTo(e);
                NoteTruncation(e);
                if ((CommandCode)code == CommandCode.StmtPrepare)
                {
                    // Before the command's last bytes reach the server: the response relay waits for its answer.
                    _pendingPrepares.Enqueue(e.Query!);
                }
                break;
            default:
                // Statement id (u32) first; for send-long-data then the parameter id (u16) and the data.
                var head = body.Prefix;
                if (head.Length >= 4)
                {
                    var id = BinaryPrimitives.ReadUInt32LittleEndian(head);
                    e.StatementId = id;
                    if (_statements.TryGetValue(id, out var statement))
                    {
                        e.Query = statement.Query;
                        if ((CommandCode)code == CommandCode.StmtExecute)
                        {
                            statement.LongDataMask = 0;
                        }
                        else if (head.Length >= 6 && BinaryPrimitives.ReadUInt16LittleEndian(head[4..]) is var parameter and < 64)
                        {
                            statement.LongDataMask |= 1UL << parameter;
                        }
                    }
                }
                var details = new Dictionary<string, string>
                {
                    ["payload_length"] = body.Length.ToString(CultureInfo.InvariantCulture),
                    ["payload_sha256"] = body.Sha256Hex(),
                    ["parameters_error"] = "command too large to decode its parameters: its length and SHA-256 are given instead",
                };
                if ((CommandCode)code == CommandCode.StmtSendLongData && head.Length >= 6)
                {
                    details["parameter_id"] = BinaryPrimitives.ReadUInt16LittleEndian(head[4..]).ToString(CultureInfo.InvariantCulture);
                    details["data_length"] = (body.Length - 6).ToString(CultureInfo.InvariantCulture);
                    details.Remove("parameters_error");
                }
                e.Details = details;
                e.Truncated = true;
                Ferry.Diagnostics.FerryMetrics.StatementTruncated("mysql");
                break;
        }
        body.Dispose();
        Audit.Emit(e);
        // Before the command's last bytes reach the server: the response side learns the shape of its answer.
        ExpectResponse((CommandCode)code, CommandVerdict.Forward with { Tag = (CommandCode)code == CommandCode.Query ? e.Query : null });
    }

    /// <summary>The streamed payload of a large command: its code byte, then the rest into a capture.</summary>
    private sealed class LargeCommand(MySqlAgentSession session, int limit, long firstPacketLength) : IStreamedMessage, IHeldCommand
    {
        /// <summary>A COM_QUERY too large to hold in a restricted session: it may hold a USE, so it is answered before the next command goes.</summary>
        public bool Hold { get; init; }

        public byte[]? Before { get; init; }

        public byte[]? After { get; init; }

        private readonly StatementCapture _body = new(limit, firstPacketLength);
        private int _code = -1;

        public void Append(ReadOnlySpan<byte> payload)
        {
            if (_code < 0 && !payload.IsEmpty)
            {
                _code = payload[0];
                payload = payload[1..];
            }
            _body.Append(payload);
        }

        public void Complete()
        {
            session.LargeCommandDone((byte)Math.Max(_code, 0), _body);
            if (After is not null)
            {
                session._responses.Expect(ExpectedResponse.Generic, AgentOwned.Instance);
            }
            if (Hold)
            {
                session.ArmHold();
            }
        }
    }
}
