using System.Buffers;
using System.Globalization;
using System.Text;
using Ferry.Audit;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.MySql;

/// <summary>
/// What each COM_QUERY / COM_STMT_EXECUTE / COM_STMT_FETCH returned, counted from the response as it passes (never buffered): rows,
/// bytes, the error number; a <c>db.session.result</c> once its response ended. A statement over
/// <c>max_query_rows</c> / <c>max_query_bytes</c> (or a spent egress budget) is stopped: <c>KILL QUERY</c> on a side
/// connection, the rest of its rows dropped, the packet that ends it replaced by an ERR (1317, 70100) naming the limit
/// with the sequence id the client expects, and the session carries on.
/// </summary>
internal sealed partial class MySqlAgentSession
{
    /// <summary>ER_QUERY_INTERRUPTED: the error a stopped statement ends with.</summary>
    private const ushort QueryInterrupted = 1317;

    // Response side only.
    private long _rows;
    private long _bytes;
    private long _rowsReported;
    private long _bytesReported;
    private string? _errorCode;
    private string? _errorText;
    private string? _serverLimit;
    private string? _stoppedBy;
    private string? _egressSpent;
    private bool _stopErrorSent;
    private byte _lastSequence;
    private long _maxRows = long.MaxValue;
    private long _maxBytes = long.MaxValue;

    private void StartResults()
    {
        _maxRows = MaxQueryRows;
        _maxBytes = MaxQueryBytes;
    }

    /// <summary>True when the next row may be dropped: the relay then waits for it whole.</summary>
    private bool MayDropNextRow() => _stoppedBy is not null || _rows >= _maxRows || _maxBytes != long.MaxValue;

    /// <summary>Each data packet of a response: counted; true drops it (a stopped statement's rest).</summary>
    private bool OnResultData(ResponseStep step, int packetLength, byte sequenceId)
    {
        if (step.Tag is not MySqlResultTag tag)
        {
            _lastSequence = sequenceId;
            return false;
        }
        if (_stoppedBy is not null)
        {
            return true;
        }
        // A cursor's earlier fetches count too: fetching 100 rows at a time does not lift max_query_rows.
        var (earlierRows, earlierBytes) = tag.Cursor is { } cursor ? (cursor.CursorRows, cursor.CursorBytes) : (0L, 0L);
        if (step.IsRow && _rows + earlierRows >= _maxRows)
        {
            StopStatement(Limits.MaxQueryRows);
            return true;
        }
        if (_bytes + earlierBytes + packetLength > _maxBytes)
        {
            StopStatement(Limits.MaxQueryBytes);
            return true;
        }
        _bytes += packetLength;
        _lastSequence = sequenceId;
        if (step.IsRow && ++_rows - _rowsReported >= EgressReportRows && CountEgressSoFar(flush: false) is { } spent)
        {
            _egressSpent = spent;
            StopStatement(Limits.Egress);
        }
        return false;
    }

    private string? CountEgressSoFar(bool flush)
    {
        var (rows, bytes) = (_rows - _rowsReported, _bytes - _bytesReported);
        _rowsReported = _rows;
        _bytesReported = _bytes;
        return CountEgress(rows, bytes, flush);
    }

    private void StopStatement(string limit)
    {
        _stoppedBy = limit;
        _stopErrorSent = false;
        RecordLimit(limit, _rows, _bytes);
        _ = KillQueryAsync(_backend!.ThreadId, limit);
    }

    /// <summary><c>KILL QUERY</c> of the session's server thread on a side connection as the same db user (best effort).</summary>
    private async Task KillQueryAsync(uint threadId, string limit)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var cert = await Ctx.Authority.GetDbClientCertificateAsync(Db.Name, Audit.DbUser, "", UserCertificate, timeout.Token);
            var summary = new HandshakeResponse41Summary(MySqlCapabilities.Protocol41 | MySqlCapabilities.Transactions, 16 * 1024 * 1024, 45, Audit.DbUser, "", "");
            var side = await MySqlBackendConnector.ConnectAsync(Db, cert, summary, Audit.DbUser, "", timeout.Token, trackSchema: false);
            await using (side.Stream)
            {
                var w = new ArrayBufferWriter<byte>(64);
                ComQuery.Write(w, Encoding.ASCII.GetBytes("KILL QUERY " + threadId.ToString(CultureInfo.InvariantCulture)));
                await MySqlPacketStream.WriteFramedAsync(side.Stream, w, timeout.Token);
                var reply = await MySqlPacketStream.ReadAsync(side.Stream, 64 * 1024, timeout.Token);
                if (reply is { } r && r.Payload.Length > 0 && r.Payload[0] == ErrPacket.Header)
                {
                    AgentLog.ServerCancelFailed(Ctx.Log, Audit.SessionId, Db.Name, limit, ServerError(new ReadOnlySequence<byte>(r.Payload)));
                }
                await MySqlPacketStream.WriteAsync(side.Stream, 0, new byte[] { (byte)CommandCode.Quit }, timeout.Token);
            }
        }
        catch (Exception e) when (e is DatabaseConnectException or IOException or OperationCanceledException or HttpRequestException or InvalidOperationException
            or System.Security.Authentication.AuthenticationException or MySqlProtocolException or MySqlServerRefusedException or EndOfStreamException or AuthorityUnavailableException)
        {
            AgentLog.ServerCancelFailed(Ctx.Log, Audit.SessionId, Db.Name, limit, e.Message);
        }
    }

    /// <summary>
    /// An OK/EOF or ERR of a statement's response, after the session's own checks chose <paramref name="action"/>: counts
    /// it, emits the result when the response ends, and answers for a stopped statement.
    /// </summary>
    private ResponseAction OnResultEnd(ResponseStep step, in ReadOnlySequence<byte> packet, ResponseAction action)
    {
        if (step.Tag is not MySqlResultTag tag)
        {
            return action;
        }
        if (step.Kind == ResponseStepKind.Err && _stoppedBy is null)
        {
            ReadServerError(packet);
        }
        else if (_stoppedBy is null)
        {
            _bytes += packet.Length;
        }
        if (_stoppedBy is not null && action.Kind != ResponseActionKind.Close)
        {
            if (_stopErrorSent)
            {
                action = ResponseAction.Replace([]);
            }
            else
            {
                _stopErrorSent = true;
                action = ResponseAction.Replace(MySqlSessionErrors.Packet(unchecked((byte)(_lastSequence + 1)), QueryInterrupted, "70100", LimitMessage(_stoppedBy, _egressSpent)));
            }
        }
        if (step.EndsResponse)
        {
            var code = _stoppedBy is not null ? QueryInterrupted.ToString(CultureInfo.InvariantCulture) : _errorCode;
            var text = _stoppedBy is not null ? LimitMessage(_stoppedBy, _egressSpent) : _errorText;
            EmitResult(tag.EventId, tag.Started, _rows, _bytes, null, code, text, _stoppedBy ?? _serverLimit);
            if (tag.Cursor is { } cursor)
            {
                cursor.CursorRows += _rows;
                cursor.CursorBytes += _bytes;
            }
            if (_egressSpent is null && CountEgressSoFar(flush: true) is { } spent)
            {
                _egressSpent = spent;
            }
            if (_egressSpent is { } reason)
            {
                EndSession(SessionEndReason.Egress, "egress budget spent: " + reason);
            }
            _rows = _bytes = _rowsReported = _bytesReported = 0;
            _errorCode = _errorText = _serverLimit = _stoppedBy = null;
        }
        return action;
    }

    private void ReadServerError(in ReadOnlySequence<byte> packet)
    {
        try
        {
            var err = ErrPacket.Read(packet.Slice(MySqlPacketReader.HeaderLength));
            _errorCode = err.ErrorCode.ToString(CultureInfo.InvariantCulture);
            _errorText = Encoding.UTF8.GetString(err.Message);
            // MariaDB max_statement_time (1969), MySQL max_execution_time (3024).
            if (err.ErrorCode is 1969 or 3024 && Rbac.StatementTimeout is not null)
            {
                _serverLimit = Limits.StatementTimeout;
            }
        }
        catch (MySqlProtocolException)
        {
            _errorCode = "1105";
            _errorText = "malformed ERR packet";
        }
    }
}
