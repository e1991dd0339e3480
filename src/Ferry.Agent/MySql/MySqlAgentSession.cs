using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Authentication;
using Ferry.Agent.Postgres;
using Ferry.Identity;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Rbac;

namespace Ferry.Agent.MySql;

/// <summary>
/// One MySQL session on the agent: takes the client's HandshakeResponse41 the proxy forwarded, applies
/// locks and RBAC (labels, db user, schema), logs in to the real server with a db-client certificate,
/// answers the client with the server's OK, then relays and audits every command.
/// </summary>
internal sealed partial class MySqlAgentSession
{
    private readonly AgentContext _ctx;
    private readonly AgentDatabase _db;
    private readonly UserIdentity _identity;
    private readonly string _clientAddress;
    private readonly SessionAudit _audit;
    private readonly ConcurrentDictionary<uint, MySqlStatement> _statements = new();
    private readonly SemaphoreSlim _clientWrite = new(1, 1);
    private Stream _client = Stream.Null;
    private RbacEvaluator? _rbac;
    private MySqlCapabilities _caps;
    private volatile bool _clientQuit;
    /// <summary>Texts of the COM_STMT_PREPAREs sent whose answer has not been seen yet, oldest first.</summary>
    private readonly ConcurrentQueue<string> _pendingPrepares = new();

    public MySqlAgentSession(AgentContext ctx, AgentDatabase db, UserIdentity identity, string clientAddress)
    {
        _ctx = ctx;
        _db = db;
        _identity = identity;
        _clientAddress = clientAddress;
        _audit = new SessionAudit(ctx, db, identity, clientAddress, "mysql");
    }

    public async Task RunAsync(Stream client, ProxyHandshakePrelude prelude, CancellationToken ct)
    {
        _client = client;
        var next = prelude.NextSequenceId;
        HandshakeResponse41Summary hello;
        try
        {
            hello = HandshakeResponse41Summary.Read(prelude.HandshakeResponse);
        }
        catch (MySqlProtocolException e)
        {
            await client.WriteAsync(MySqlSessionErrors.Packet(next, 1043, "08S01", $"bad handshake: {e.Message}"), ct);
            return;
        }
        _caps = hello.Capabilities;
        _audit.DbUser = hello.User.Length > 0 ? hello.User : _identity.Route?.DbUser ?? "";
        _audit.DbName = hello.Schema.Length > 0 ? hello.Schema : _identity.Route?.DbName ?? "";
        if (_audit.DbUser.Length == 0)
        {
            await DenyAsync(next, "no database user given: pass one (mysql -u) or run `ferry db login --db-user`");
            return;
        }
        var denial = await CheckAccessAsync(ct);
        if (denial is not null)
        {
            await DenyAsync(next, denial);
            return;
        }

        MySqlBackendConnection backend;
        try
        {
            var cert = await _ctx.Authority.GetDbClientCertificateAsync(_db.Name, _audit.DbUser, ct);
            backend = await MySqlBackendConnector.ConnectAsync(_db, cert, hello with { MaxPacketSize = hello.MaxPacketSize == 0 ? 1u << 24 : hello.MaxPacketSize }, _audit.DbUser, _audit.DbName, ct);
        }
        catch (MySqlServerRefusedException e)
        {
            AgentRefusals.Record(_ctx, AgentRefusals.DatabaseRefused, _db.Name, _clientAddress, e.Message);
            EmitStart(false, e.Message);
            var w = new ArrayBufferWriter<byte>(e.ErrPayload.Length + 4);
            var seq = next;
            MySqlPacketWriter.WritePayload(w, ref seq, e.ErrPayload);
            await client.WriteAsync(w.WrittenMemory, ct);
            return;
        }
        catch (Exception e) when (e is DatabaseConnectException or IOException or HttpRequestException or InvalidOperationException or AuthenticationException or MySqlProtocolException)
        {
            AgentRefusals.Record(_ctx, AgentRefusals.DatabaseUnreachable, _db.Name, _clientAddress, e.Message);
            EmitStart(false, e.Message);
            await client.WriteAsync(MySqlSessionErrors.Packet(next, MySqlSessionErrors.Unknown, "08S01", e.Message), ct);
            return;
        }

        await using (backend.Stream)
        {
            _ctx.MySql.NoteServerVersion(_db.Name, backend.ServerVersion);
            var mapped = _ctx.MySql.MapThread(prelude.ConnectionId, backend.ThreadId);
            try
            {
                var ok = new ArrayBufferWriter<byte>(backend.OkPayload.Length + 4);
                var seq = next;
                MySqlPacketWriter.WritePayload(ok, ref seq, backend.OkPayload);
                await client.WriteAsync(ok.WrittenMemory, ct);
                await client.FlushAsync(ct);
                await RelayAsync(backend, ct);
            }
            finally
            {
                if (mapped)
                {
                    _ctx.MySql.UnmapThread(prelude.ConnectionId);
                }
            }
        }
    }

    private async Task<string?> CheckAccessAsync(CancellationToken ct)
    {
        var lockReason = _ctx.Authority.FindLock(_identity, _db.Name);
        if (lockReason is not null)
        {
            return lockReason;
        }
        var roles = await _ctx.Authority.GetRolesAsync(_identity.Roles, ct);
        _rbac = new RbacEvaluator(roles, _identity.Traits);
        return CheckSchema(_audit.DbName);
    }

    /// <summary>Null when the db user may open <paramref name="schema"/> (or no schema) on this database; else why not.</summary>
    private string? CheckSchema(string schema)
    {
        var decision = _rbac!.Check(new DatabaseTarget(_db.Name, _db.Labels), _audit.DbUser, schema);
        if (decision.Allowed)
        {
            return null;
        }
        return schema.Length == 0
            ? $"access to database \"{_db.Name}\" as db user \"{_audit.DbUser}\" denied: {decision.Reason}"
            : $"access to database \"{_db.Name}\" as db user \"{_audit.DbUser}\" on schema \"{schema}\" denied: {decision.Reason}";
    }

    private async Task DenyAsync(byte sequenceId, string reason)
    {
        AgentRefusals.Record(_ctx, AgentRefusals.AccessDenied, _db.Name, _clientAddress, reason);
        EmitStart(false, reason);
        await _client.WriteAsync(MySqlSessionErrors.Packet(sequenceId, MySqlSessionErrors.AccessDenied, "28000", reason));
        await _client.FlushAsync();
    }

    private async ValueTask<bool> WriteClientAsync(ReadOnlySequence<byte> data)
    {
        await _clientWrite.WaitAsync();
        try
        {
            foreach (var segment in data)
            {
                await _client.WriteAsync(segment);
            }
            await _client.FlushAsync();
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            _clientWrite.Release();
        }
    }

    private async Task RelayAsync(MySqlBackendConnection backend, CancellationToken ct)
    {
        var clientReader = PipeReader.Create(_client, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true));
        var serverReader = PipeReader.Create(backend.Stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true));
        var live = new LiveSession(_audit.SessionId, _identity, _db.Name);
        _ctx.Sessions.Add(live);
        EmitStart(true, null);
        var started = Stopwatch.GetTimestamp();
        using var expiry = ScheduleExpiry(live);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, live.Terminated);
        var toDb = new MySqlCommandRelay(clientReader, backend.Stream, _ctx.MaxInspectedMessage)
        {
            OnCommand = OnCommand,
            OnLargeCommand = OnLargeCommand,
            ReplyToClient = async packet => await WriteClientAsync(new ReadOnlySequence<byte>(packet)),
        };
        var toClient = new MySqlResponseRelay(serverReader, WriteClientAsync)
        {
            WantsFirstPacket = () => !_pendingPrepares.IsEmpty,
            OnFirstPacket = OnPrepareResponse,
        };
        var toDbTask = toDb.RunAsync(stop.Token);
        var toClientTask = toClient.RunAsync(stop.Token);
        var first = await Task.WhenAny(toDbTask, toClientTask);
        string endReason;
        if (live.EndReason is not null)
        {
            endReason = live.EndReason;
            await Task.WhenAll(toDbTask, toClientTask);
            if (toClient.AtBoundary)
            {
                await WriteClientAsync(new ReadOnlySequence<byte>(MySqlSessionErrors.Packet(1, MySqlSessionErrors.ConnectionKilled, "70100", $"session closed: {live.EndMessage}")));
            }
        }
        else
        {
            var end = await first;
            endReason = first == toDbTask
                ? end switch { RelayEnd.SourceClosed => "client_closed", RelayEnd.ProtocolError => "client_protocol_error", _ => "database_closed" }
                : end switch { RelayEnd.SourceClosed => "database_closed", RelayEnd.ProtocolError => "database_protocol_error", _ => "client_closed" };
            if (_clientQuit)
            {
                endReason = "client_closed";
            }
            await stop.CancelAsync();
            // Closing the database side ends the other direction promptly.
            await backend.Stream.DisposeAsync();
            await Task.WhenAll(toDbTask, toClientTask);
        }
        _ctx.Sessions.Remove(_audit.SessionId);
        EmitEnd(endReason, toDb.Error, toDb.Bytes, toClient.Bytes, Stopwatch.GetElapsedTime(started));
    }

    private ITimer? ScheduleExpiry(LiveSession live)
    {
        if (_identity.NotAfter == default)
        {
            return null;
        }
        var left = _identity.NotAfter - _ctx.Time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            live.Terminate("cert_expired", "your certificate expired: run `ferry login`");
            return null;
        }
        return _ctx.Time.CreateTimer(_ => live.Terminate("cert_expired", "your certificate expired: run `ferry login`"), null, left, Timeout.InfiniteTimeSpan);
    }
}
