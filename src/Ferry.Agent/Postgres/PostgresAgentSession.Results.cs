using System.Buffers;
using System.Diagnostics;
using Ferry.Audit;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Agent.Postgres;

/// <summary>
/// What each statement returned, counted from the server's messages as they pass (never buffered): rows
/// (<c>DataRow</c>, COPY-out <c>CopyData</c>), bytes, the command tag and the error. A statement (Query, Execute)
/// is queued by the client-side relay when its event is emitted; the server-side relay completes it (Execute at its
/// <c>CommandComplete</c>/<c>EmptyQueryResponse</c>/<c>PortalSuspended</c>/<c>ErrorResponse</c>, Query at
/// <c>ReadyForQuery</c>) and emits <c>db.session.result</c>. A statement over <c>max_query_rows</c> /
/// <c>max_query_bytes</c> (or a spent egress budget) is stopped: cancelled at the server with the backend's real key,
/// the rest of its result dropped, its completion replaced by an ErrorResponse (SQLSTATE 54000) naming the limit, and
/// everything else up to the server's ReadyForQuery dropped, so the client sees a failed statement and the session
/// carries on.
/// </summary>
internal sealed partial class PostgresAgentSession
{
    private enum PendingKind : byte
    {
        Query,
        Execute,
        Sync,
        FunctionCall,
    }

    private readonly record struct PendingStatement(PendingKind Kind, string? EventId, long Started, FunctionCallRun? Calls = null);

    // Filled by the client-side relay, drained by the server-side one: guarded by its own lock.
    private readonly Queue<PendingStatement> _pending = new();

    // Server-side relay only.
    private long _rows;
    private long _bytes;
    private long _rowsReported;
    private long _bytesReported;
    private string? _tag;
    private string? _errorCode;
    private string? _errorText;
    private string? _stoppedBy;        // the limit that stopped the running statement: its results are dropped up to ReadyForQuery
    private string? _egressSpent;
    private bool _stopErrorSent;
    private string? _serverLimit;      // a limit the server enforced (statement_timeout)
    private long _maxRows = long.MaxValue;
    private string? _lastRefusalState;
    private string? _lastRefusalMessage;
    private long _maxBytes = long.MaxValue;

    private void StartResults()
    {
        _maxRows = MaxQueryRows;
        _maxBytes = MaxQueryBytes;
    }

    /// <summary>Client side: a statement (or a cycle end) whose answer the server-side relay will see.</summary>
    private void Expect(PendingKind kind, string? eventId, FunctionCallRun? calls = null)
    {
        lock (_pending)
        {
            _pending.Enqueue(new PendingStatement(kind, eventId, Stopwatch.GetTimestamp(), calls));
        }
    }

    /// <summary>
    /// Server side, for each message not held whole (DataRow, CopyData, RowDescription…): counts it and says whether
    /// to drop it. No allocation: this runs once per row.
    /// </summary>
    private bool OnServerPassing(byte code, int frameLength)
    {
        if (_stoppedBy is not null)
        {
            // A stopped statement's rest, and any later statement of the same Query, up to ReadyForQuery.
            return code is not ((byte)BackendMessageCode.ParameterStatus or (byte)BackendMessageCode.NoticeResponse or (byte)BackendMessageCode.NotificationResponse);
        }
        if (code is (byte)BackendMessageCode.DataRow or (byte)BackendMessageCode.CopyData or (byte)BackendMessageCode.FunctionCallResponse)
        {
            if (_rows >= _maxRows)
            {
                Stop(Limits.MaxQueryRows);
                return true;
            }
            if (_bytes + frameLength > _maxBytes)
            {
                Stop(Limits.MaxQueryBytes);
                return true;
            }
            _rows++;
            _bytes += frameLength;
            if (_rows - _rowsReported >= EgressReportRows && CountEgressSoFar(flush: false) is { } spent)
            {
                _egressSpent = spent;
                Stop(Limits.Egress);
            }
            return false;
        }
        if (_bytes + frameLength > _maxBytes && code is not ((byte)BackendMessageCode.ParameterStatus or (byte)BackendMessageCode.NoticeResponse or (byte)BackendMessageCode.NotificationResponse))
        {
            Stop(Limits.MaxQueryBytes);
            return true;
        }
        _bytes += frameLength;
        return false;
    }

    private string? CountEgressSoFar(bool flush)
    {
        var (rows, bytes) = (_rows - _rowsReported, _bytes - _bytesReported);
        _rowsReported = _rows;
        _bytesReported = _bytes;
        return CountEgress(rows, bytes, flush);
    }

    /// <summary>Stops the running statement: cancelled at the server; its results are dropped from here.</summary>
    private void Stop(string limit)
    {
        _stoppedBy = limit;
        _stopErrorSent = false;
        RecordLimit(limit, _rows, _bytes);
        var backend = _backend!;
        _ = CancelAtServerAsync(backend.ProcessId, backend.SecretKey, limit);
    }

    /// <summary>The agent's own CancelRequest to the server, with the backend's real key (best effort, as every cancel).</summary>
    private async Task CancelAtServerAsync(int processId, byte[] secretKey, string limit)
    {
        try
        {
            var cert = await Ctx.Authority.GetDbClientCertificateAsync(Db.Name, Audit.DbUser, Audit.DbName, UserCertificate, CancellationToken.None);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await using var cancel = await PostgresBackendConnector.ConnectAsync(Db, cert, Db.TrustedRoots(), timeout.Token);
            var w = new ArrayBufferWriter<byte>(16 + secretKey.Length);
            CancelRequest.Write(w, processId, secretKey);
            await cancel.WriteAsync(w.WrittenMemory, timeout.Token);
            await cancel.FlushAsync(timeout.Token);
            var sink = new byte[16];
            while (await cancel.ReadAsync(sink, timeout.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is DatabaseConnectException or IOException or OperationCanceledException or HttpRequestException or InvalidOperationException or AuthorityUnavailableException)
        {
            AgentLog.ServerCancelFailed(Ctx.Log, Audit.SessionId, Db.Name, limit, e.Message);
        }
    }

    /// <summary>
    /// Server side, for each message held whole (CommandComplete, ErrorResponse, EmptyQueryResponse, PortalSuspended,
    /// ReadyForQuery): completes statements; non-null bytes are forwarded in place of the message.
    /// </summary>
    private byte[]? OnServerMessage(PostgresFrame frame)
    {
        if (ReplaceRefusalError(frame) is { } refusal)
        {
            _bytes += refusal.Length;
            _errorCode ??= _lastRefusalState;
            _errorText ??= _lastRefusalMessage;
            CompleteExecute();
            return refusal;
        }
        var code = (BackendMessageCode)frame.Code;
        switch (code)
        {
            case BackendMessageCode.CommandComplete:
            case BackendMessageCode.EmptyQueryResponse:
            case BackendMessageCode.PortalSuspended:
                if (_stoppedBy is not null)
                {
                    return StopError();
                }
                _bytes += frame.Raw.Length;
                if (code == BackendMessageCode.CommandComplete)
                {
                    _tag = PgWire.Text(CommandComplete.Read(frame));
                }
                CompleteExecute();
                return null;
            case BackendMessageCode.ErrorResponse:
                if (_stoppedBy is not null)
                {
                    return StopError();
                }
                _bytes += frame.Raw.Length;
                ReadError(frame);
                CompleteExecute();
                return null;
            case BackendMessageCode.ReadyForQuery:
                // A statement stopped where no completion followed (a FunctionCallResponse dropped): its error comes
                // before the ReadyForQuery, so the client sees the call fail rather than a missing answer.
                var unsent = _stoppedBy is not null && !_stopErrorSent ? StopError() : null;
                CompleteCycle();
                return unsent is null ? null : [.. unsent, .. frame.Raw.ToArray()];
            default:
                return null;
        }
    }

    private void ReadError(in PostgresFrame frame)
    {
        try
        {
            var error = ErrorResponse.Read(frame);
            _errorCode = PgWire.Text(error.SqlState);
            _errorText = PgWire.Text(error.Message);
            if (_errorCode == "57014" && Rbac.StatementTimeout is not null && _errorText.Contains("statement timeout", StringComparison.Ordinal))
            {
                _serverLimit = Limits.StatementTimeout;
            }
        }
        catch (PostgresProtocolException)
        {
            _errorCode = "XX000";
            _errorText = "malformed ErrorResponse";
        }
    }

    /// <summary>The ErrorResponse the client gets once for a stopped statement; later completions are dropped (an empty stand-in).</summary>
    private byte[] StopError()
    {
        if (_stopErrorSent)
        {
            return [];
        }
        _stopErrorSent = true;
        var w = new ArrayBufferWriter<byte>(256);
        ErrorResponse.Write(w, "ERROR", "54000", "ferry: " + LimitMessage(_stoppedBy!, _egressSpent),
            hint: _stoppedBy == Limits.Egress ? null : "the statement was cancelled at the server; the session carries on");
        return w.WrittenSpan.ToArray();
    }

    /// <summary>An Execute's answer arrived: its result event, if the statement at the head is an Execute.</summary>
    private void CompleteExecute()
    {
        PendingStatement head;
        lock (_pending)
        {
            if (!_pending.TryPeek(out head) || head.Kind != PendingKind.Execute)
            {
                return; // a statement of a simple Query: it completes at ReadyForQuery
            }
            _pending.Dequeue();
        }
        EmitPending(head);
    }

    /// <summary>ReadyForQuery: the Query or the cycle up to a Sync (or a FunctionCall) is over; Executes the server skipped fail with its error.</summary>
    private void CompleteCycle()
    {
        while (true)
        {
            PendingStatement item;
            lock (_pending)
            {
                if (!_pending.TryDequeue(out item))
                {
                    break;
                }
            }
            if (item.Kind is PendingKind.Query or PendingKind.Execute)
            {
                if (item.Kind == PendingKind.Execute && _errorCode is null && _stoppedBy is null)
                {
                    _errorCode = "00000";
                    _errorText = "not run: an earlier message of the same Sync failed";
                }
                EmitPending(item);
                if (item.Kind == PendingKind.Query)
                {
                    break;
                }
                continue;
            }
            if (item.Calls is { } calls)
            {
                calls.AddResult(_rows, _bytes);
            }
            break; // Sync or FunctionCall: the cycle's end
        }
        if (_egressSpent is null && CountEgressSoFar(flush: true) is { } spent)
        {
            _egressSpent = spent;
        }
        ResetStatement();
        _stoppedBy = null;
        if (_egressSpent is { } reason)
        {
            EndSession(SessionEndReason.Egress, "egress budget spent: " + reason);
        }
    }

    private void EmitPending(PendingStatement s)
    {
        if (s.EventId is not null)
        {
            EmitResult(s.EventId, s.Started, _rows, _bytes, _tag, _stoppedBy is not null ? "54000" : _errorCode, _stoppedBy is not null ? LimitMessage(_stoppedBy, _egressSpent) : _errorText, _stoppedBy ?? _serverLimit);
        }
        if (_egressSpent is null && CountEgressSoFar(flush: true) is { } spent)
        {
            _egressSpent = spent;
        }
        ResetStatement();
    }

    private void ResetStatement()
    {
        _rows = _bytes = _rowsReported = _bytesReported = 0;
        _tag = _errorCode = _errorText = _serverLimit = null;
    }
}
