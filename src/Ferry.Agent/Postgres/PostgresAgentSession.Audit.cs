using System.Buffers;
using Ferry.Audit;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Postgres;

internal sealed partial class PostgresAgentSession
{
    private const int MaxAuditedParameter = 4096;

    private const int MaxAuditedError = 2048;

    /// <summary>
    /// Called by the relay for each ErrorResponse the server sends during the session: a failed statement (or an error
    /// ending the session) yields <c>TDB02W</c> with the SQLSTATE and the server's message (the statement itself is in
    /// the <c>TDB02I</c>/<c>TPG</c> event before it).
    /// </summary>
    private void AuditServerError(PostgresFrame frame)
    {
        ErrorResponse error;
        try
        {
            error = ErrorResponse.Read(frame);
        }
        catch (PostgresProtocolException)
        {
            return; // the client gets the frame as it is; a malformed one is the server's problem, not an audit event
        }
        var state = PgWire.Text(error.SqlState);
        var text = $"{PgWire.Text(error.Severity)} {state}: {PgWire.Text(error.Message)}";
        var e = Audit.NewEvent(AuditEventKinds.DbSessionQueryFailed);
        e.Success = false;
        e.Error = text.Length > MaxAuditedError ? text[..MaxAuditedError] : text;
        e.Details = new Dictionary<string, string> { ["sqlstate"] = state };
        Audit.Emit(e);
    }

    /// <summary>Called by the relay for each client message it holds whole (Query, Parse, Bind, Execute, FunctionCall).</summary>
    private void AuditMessage(PostgresFrame frame)
    {
        AuditEvent e;
        switch ((FrontendMessageCode)frame.Code)
        {
            case FrontendMessageCode.Query:
                e = Audit.NewEvent(AuditEventKinds.DbSessionQuery);
                DescribeStatement(e, Query.Read(frame).Text);
                break;
            case FrontendMessageCode.Parse:
                var parse = Parse.Read(frame);
                e = Audit.NewEvent(AuditEventKinds.DbSessionParse);
                e.StatementName = PgWire.Text(parse.StatementName);
                DescribeStatement(e, parse.QueryText);
                break;
            case FrontendMessageCode.Bind:
                var bind = Bind.Read(frame);
                e = Audit.NewEvent(AuditEventKinds.DbSessionBind);
                e.StatementName = PgWire.Text(bind.Statement);
                e.Details = AuditDetails.Portal(PgWire.Text(bind.Portal));
                var values = new List<string?>(bind.ParameterCount);
                List<AuditTruncatedValue>? cut = null;
                var budget = Ctx.MaxStatementBytes;
                foreach (var p in bind.Parameters)
                {
                    values.Add(RenderBounded(p, ref budget, ref cut));
                }
                e.Parameters = values;
                e.TruncatedParameters = cut;
                break;
            case FrontendMessageCode.Execute:
                var execute = Execute.Read(frame);
                e = Audit.NewEvent(AuditEventKinds.DbSessionExecute);
                e.Details = AuditDetails.Portal(PgWire.Text(execute.Portal));
                break;
            case FrontendMessageCode.FunctionCall:
                var call = FunctionCall.Read(frame);
                if (TryAddToFunctionCalls(call))
                {
                    Expect(PendingKind.FunctionCall, null, CurrentFunctionCalls);
                    return;
                }
                e = Audit.NewEvent(AuditEventKinds.DbSessionFunctionCall);
                e.Details = new Dictionary<string, string> { ["function_oid"] = call.FunctionOid.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                var args = new List<string?>(call.ArgumentCount);
                foreach (var a in call.Arguments)
                {
                    args.Add(Render(a));
                }
                e.Parameters = args;
                StartFunctionCalls(call, e);
                Expect(PendingKind.FunctionCall, null, CurrentFunctionCalls);
                return;
            default:
                return;
        }
        Audit.Emit(e);
        if (e.Type is AuditEventTypes.DbSessionQuery or AuditEventTypes.DbSessionExecute)
        {
            Expect(frame.Code == (byte)FrontendMessageCode.Query ? PendingKind.Query : PendingKind.Execute, e.Id);
        }
    }

    /// <summary>The statement fields of a Query or Parse held whole: text up to the configured limit, true length, SHA-256.</summary>
    private void DescribeStatement(AuditEvent e, in ReadOnlySequence<byte> text)
    {
        StatementCapture.Describe(e, text, Ctx.MaxStatementBytes);
        NoteTruncation(e);
    }

    private void NoteTruncation(AuditEvent e)
    {
        if (e.Truncated == true)
        {
            Ferry.Diagnostics.FerryMetrics.StatementTruncated("postgres");
            AgentLog.StatementTruncated(Ctx.Log, Audit.SessionId, Db.Name, e.Type, e.QueryLength ?? 0, Ctx.MaxStatementBytes);
        }
    }

    /// <summary>
    /// The relay asks what to do with a client message longer than <see cref="AgentContext.MaxStatementBytes"/>: a
    /// Query or Parse streams through a <see cref="StreamedStatement"/> (never held whole, whatever its size); other
    /// messages are held whole up to <c>proxy.max_message_bytes</c> and refused beyond.
    /// </summary>
    private IStreamedMessage? StreamLargeMessage(byte code, int bodyLength) => Pins ? null : (FrontendMessageCode)code switch
    {
        FrontendMessageCode.Query => new StreamedStatement(false, Ctx.MaxStatementBytes, bodyLength, StreamedQueryDone),
        FrontendMessageCode.Parse => new StreamedStatement(true, Ctx.MaxStatementBytes, bodyLength, StreamedParseDone),
        _ => null,
    };

    private void StreamedQueryDone(StreamedStatement s)
    {
        if (_pooling)
        {
            _cycles++;
        }
        var e = Audit.NewEvent(AuditEventKinds.DbSessionQuery);
        EmitStreamed(e, s);
        Expect(PendingKind.Query, e.Id);
    }

    private void StreamedParseDone(StreamedStatement s)
    {
        var e = Audit.NewEvent(AuditEventKinds.DbSessionParse);
        e.StatementName = s.Name;
        EmitStreamed(e, s);
    }

    private void EmitStreamed(AuditEvent e, StreamedStatement s)
    {
        s.Text.ApplyTo(e);
        s.Dispose();
        NoteTruncation(e);
        Audit.Emit(e);
    }

    /// <summary>
    /// A client message larger than the agent inspects, which cannot be audited whole: refused (none of it reaches the
    /// server), logged and counted now, audited with its true length and SHA-256 once its last byte has been dropped.
    /// The session carries on as after any error: in its place the server gets a message that fails at once without
    /// touching any state (a Bind, or for a FunctionCall a Query, naming a prepared statement that cannot exist), so the
    /// server itself answers the error, discards up to the next Sync in the extended protocol, and reports the right
    /// transaction status in its ReadyForQuery; the server's error is then shown to the client as this refusal (54000).
    /// A Sync or Terminate with a body is malformed, not large: the session ends as before.
    /// </summary>
    private PostgresRefusal? RefuseLargeMessage(byte code, int bodyLength)
    {
        var (kind, noun) = (FrontendMessageCode)code switch
        {
            FrontendMessageCode.Bind => (AuditEventKinds.DbSessionBind, "Bind"),
            FrontendMessageCode.Execute => (AuditEventKinds.DbSessionExecute, "Execute"),
            FrontendMessageCode.FunctionCall => (AuditEventKinds.DbSessionFunctionCall, "FunctionCall"),
            FrontendMessageCode.Parse => (AuditEventKinds.DbSessionParse, "Parse"),
            FrontendMessageCode.Query => (AuditEventKinds.DbSessionQuery, "Query"),
            _ => (AuditEventKinds.DbSessionQuery, ""),
        };
        AgentLog.MessageTooLargeRefused(Ctx.Log, Audit.SessionId, Db.Name, kind.Type, bodyLength, Ctx.MaxInspectedMessage);
        Ferry.Diagnostics.FerryMetrics.Refused(Ferry.Diagnostics.FerryMetrics.Sides.Agent, "message_too_large");
        var message = $"ferry: a {(noun.Length > 0 ? noun : ((char)code).ToString())} message of {bodyLength} bytes is larger than the {Ctx.MaxInspectedMessage} bytes this agent holds for its audit event (proxy.max_message_bytes): it was refused, not run";
        if (noun.Length == 0)
        {
            var ended = Audit.NewEvent(kind);
            ended.Success = false;
            ended.Error = message + "; the session was closed";
            ended.QueryLength = bodyLength;
            Audit.Emit(ended);
            return null;
        }
        if (code != (byte)FrontendMessageCode.FunctionCall)
        {
            FlushFunctionCalls();
        }
        var name = _refusals.Add(message);
        var w = new ArrayBufferWriter<byte>(64);
        if (code == (byte)FrontendMessageCode.FunctionCall)
        {
            // Outside the extended protocol: a failing Query answers ErrorResponse and ReadyForQuery, as a failing FunctionCall does.
            Query.Write(w, "EXECUTE " + name);
            Expect(PendingKind.FunctionCall, null);
            if (_pooling)
            {
                _cycles++;
            }
        }
        else
        {
            Bind.Write(w, ""u8, System.Text.Encoding.ASCII.GetBytes(name), [], [], []);
        }
        var audited = new RefusedMessage(bodyLength, captured =>
        {
            var e = Audit.NewEvent(kind);
            e.Success = false;
            e.Error = message;
            e.QueryLength = captured.Length;
            e.QuerySha256 = captured.Sha256Hex();
            e.Details = new Dictionary<string, string> { ["reason"] = "message_too_large", ["limit"] = Ctx.MaxInspectedMessage.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            Audit.Emit(e);
        });
        return new PostgresRefusal(w.WrittenSpan.ToArray(), audited);
    }

    /// <summary>
    /// The server's answer to a refusal's stand-in (SQLSTATE 26000 naming this session's marker) becomes the refusal's
    /// own ErrorResponse: SQLSTATE 54000 with the message naming the size and the limit. Any other message passes.
    /// </summary>
    private byte[]? ReplaceRefusalError(PostgresFrame frame)
    {
        if (frame.Code != (byte)BackendMessageCode.ErrorResponse || _refusals.IsEmpty)
        {
            return null;
        }
        ErrorResponse error;
        try
        {
            error = ErrorResponse.Read(frame);
        }
        catch (PostgresProtocolException)
        {
            return null;
        }
        if (!error.SqlState.FirstSpan.SequenceEqual("26000"u8) || _refusals.Take(PgWire.Text(error.Message)) is not { } refusal)
        {
            return null;
        }
        _lastRefusalState = refusal.SqlState;
        _lastRefusalMessage = refusal.Message;
        var w = new ArrayBufferWriter<byte>(256);
        ErrorResponse.Write(w, "ERROR", refusal.SqlState, refusal.Message,
            hint: refusal.Hint ?? "send smaller messages (a large value can be sent in parts, or loaded with COPY), or raise proxy.max_message_bytes; the session carries on");
        return w.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A Bind parameter as the event shows it: text as text, binary as base64 (prefixed <c>base64:</c>), at most
    /// 4 KiB of it and at most <paramref name="budget"/> bytes for all parameters together. A parameter shown cut is
    /// listed in <paramref name="cut"/> with its true length and SHA-256.
    /// </summary>
    private static string? RenderBounded(ParameterValue p, ref int budget, ref List<AuditTruncatedValue>? cut)
    {
        if (p.IsNull)
        {
            return null;
        }
        var keep = (int)Math.Min(Math.Min(p.Value.Length, MaxAuditedParameter), Math.Max(budget, 0));
        budget -= keep;
        var value = p.Value.Slice(0, keep);
        var text = p.FormatCode == 0
            ? StatementCapture.PrefixText(value.IsSingleSegment ? value.FirstSpan : value.ToArray(), keep < p.Value.Length)
            : "base64:" + Convert.ToBase64String(value.ToArray());
        if (keep < p.Value.Length)
        {
            (cut ??= []).Add(new AuditTruncatedValue(p.Index, p.Value.Length, StatementCapture.Sha256Hex(p.Value)));
        }
        return text;
    }

    /// <summary>Text parameters as text, binary ones base64 (prefixed <c>base64:</c>), long ones cut.</summary>
    private static string? Render(ParameterValue p)
    {
        if (p.IsNull)
        {
            return null;
        }
        var value = p.Value.Length > MaxAuditedParameter ? p.Value.Slice(0, MaxAuditedParameter) : p.Value;
        var text = p.FormatCode == 0 ? PgWire.Text(value) : "base64:" + Convert.ToBase64String(value.ToArray());
        return p.Value.Length > MaxAuditedParameter ? text + $"…({p.Value.Length} bytes)" : text;
    }
}
