using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Ferry.Audit;
using Ferry.Identity;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Rbac;

namespace Ferry.Agent.Postgres;

/// <summary>
/// One PostgreSQL session on the agent: reads the client's StartupMessage, applies RBAC and
/// locks, connects to the database with a db-client certificate, swaps the database's
/// BackendKeyData for one the agent minted, then relays and audits every statement.
/// </summary>
internal sealed partial class PostgresAgentSession
{
    private readonly AgentContext _ctx;
    private readonly AgentDatabase _db;
    private readonly UserIdentity _identity;
    private readonly string _clientAddress;
    private readonly SessionAudit _audit;

    public PostgresAgentSession(AgentContext ctx, AgentDatabase db, UserIdentity identity, string clientAddress)
    {
        _ctx = ctx;
        _db = db;
        _identity = identity;
        _clientAddress = clientAddress;
        _audit = new SessionAudit(ctx, db, identity, clientAddress, "postgres");
    }

    public async Task RunAsync(Stream client, CancellationToken ct)
    {
        var clientReader = PipeReader.Create(client, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true));
        byte[]? startup;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            handshake.CancelAfter(_ctx.HandshakeTimeout);
            try
            {
                startup = await PgWire.ReadStartupPacketAsync(clientReader, handshake.Token);
            }
            catch (OperationCanceledException)
            {
                await PgWire.WriteFatalAsync(client, "08P01", "timed out waiting for the StartupMessage");
                return;
            }
            catch (PostgresProtocolException e)
            {
                await PgWire.WriteFatalAsync(client, e.SqlState, e.Message);
                return;
            }
        }
        if (startup is null)
        {
            return;
        }
        var (parameters, minor, error) = ParseStartup(startup);
        if (error is not null)
        {
            await PgWire.WriteFatalAsync(client, "08P01", error);
            return;
        }

        var user = parameters.FirstOrDefault(p => p.Key == "user").Value;
        _audit.DbUser = string.IsNullOrEmpty(user) ? _identity.Route?.DbUser ?? "" : user;
        var database = parameters.FirstOrDefault(p => p.Key == "database").Value;
        _audit.DbName = string.IsNullOrEmpty(database) ? (_identity.Route?.DbName is { Length: > 0 } routeName ? routeName : _audit.DbUser) : database;
        if (_audit.DbUser.Length == 0)
        {
            await Deny(client, "no database user given: pass one (psql -U) or run `ferry db login --db-user`");
            return;
        }

        string? denial;
        try
        {
            denial = await CheckAccessAsync(ct);
        }
        catch (AuthorityUnavailableException e)
        {
            AgentRefusals.Record(_ctx, AgentRefusals.AuthorityUnavailable, _db.Name, _clientAddress, e.Message);
            EmitStart(false, e.Message, null);
            await PgWire.WriteFatalAsync(client, "08006", $"ferry: cannot check access right now: {e.Message}");
            return;
        }
        if (denial is not null)
        {
            await Deny(client, denial);
            return;
        }

        var startupParameters = ForDatabase(parameters);
        var pool = _ctx.PostgresPool(_db);
        var poolKey = pool is null ? null : PostgresBackendPool.Key(minor, startupParameters);
        var backend = pool is null ? null : await pool.TakeAsync(poolKey!);
        var reused = backend is not null;
        if (backend is null)
        {
            try
            {
                var cert = await _ctx.Authority.GetDbClientCertificateAsync(_db.Name, _audit.DbUser, ct);
                backend = new PostgresBackend(await PostgresBackendConnector.ConnectAsync(_db, cert, _db.TrustedRoots(), ct), _ctx.Time.GetUtcNow());
            }
            catch (Exception e) when (e is DatabaseConnectException or IOException or HttpRequestException or InvalidOperationException)
            {
                AgentRefusals.Record(_ctx, AgentRefusals.DatabaseUnreachable, _db.Name, _clientAddress, e.Message);
                EmitStart(false, e.Message, null);
                await PgWire.WriteFatalAsync(client, "08006", $"ferry: {e.Message}");
                return;
            }
        }

        var keep = false;
        try
        {
            keep = await RelayAsync(client, clientReader, backend, reused, pool is not null, startupParameters, minor, ct);
        }
        finally
        {
            if (keep)
            {
                // The client is gone; the reset (DISCARD ALL) runs without holding up the session's end.
                _ = pool!.ReturnAsync(backend, poolKey!);
            }
            else
            {
                await backend.DisposeAsync();
            }
        }
    }

    /// <summary>The StartupMessage parameters the database gets: the authorised db user and db name first, then the client's others.</summary>
    private List<KeyValuePair<string, string>> ForDatabase(List<KeyValuePair<string, string>> parameters)
    {
        var rewritten = new List<KeyValuePair<string, string>>
        {
            new("user", _audit.DbUser),
            new("database", _audit.DbName),
        };
        foreach (var (k, v) in parameters)
        {
            if (k is not "user" and not "database")
            {
                rewritten.Add(new(k, v));
            }
        }
        return rewritten;
    }

    private async Task<string?> CheckAccessAsync(CancellationToken ct)
    {
        var lockReason = _ctx.Authority.FindLock(_identity, _db.Name);
        if (lockReason is not null)
        {
            return lockReason;
        }
        var roles = await _ctx.Authority.GetRolesAsync(_identity.Roles, ct);
        var decision = new RbacEvaluator(roles, _identity.Traits).Check(new DatabaseTarget(_db.Name, _db.Labels), _audit.DbUser, _audit.DbName);
        return decision.Allowed
            ? null
            : $"access to database \"{_db.Name}\" as db user \"{_audit.DbUser}\" on db name \"{_audit.DbName}\" denied: {decision.Reason}";
    }

    private async Task Deny(Stream client, string reason)
    {
        AgentRefusals.Record(_ctx, AgentRefusals.AccessDenied, _db.Name, _clientAddress, reason);
        EmitStart(false, reason, null);
        await PgWire.WriteFatalAsync(client, "28000", reason);
    }

    private static (List<KeyValuePair<string, string>> Parameters, int Minor, string? Error) ParseStartup(byte[] raw)
    {
        var sr = new SequenceReader<byte>(new ReadOnlySequence<byte>(raw));
        try
        {
            if (StartupPacketReader.TryRead(ref sr, out var packet) != OperationStatus.Done)
            {
                return ([], 0, "incomplete startup packet");
            }
            if (packet.Kind != StartupPacketKind.StartupMessage)
            {
                return ([], 0, $"expected a StartupMessage, got {packet.Kind}");
            }
            var message = StartupMessage.Read(packet);
            var list = new List<KeyValuePair<string, string>>();
            foreach (var p in message.Parameters)
            {
                list.Add(new(PgWire.Text(p.Name), PgWire.Text(p.Value)));
            }
            return (list, message.MinorVersion, null);
        }
        catch (PostgresProtocolException e)
        {
            return ([], 0, e.Message);
        }
    }

    /// <summary>
    /// Starts the session on <paramref name="backend"/> (a new connection's start-up, or a pooled one's
    /// replayed answers), then relays until either side ends. Returns true when the connection may go
    /// back to the pool: the client sent Terminate while the server was idle with nothing in flight.
    /// </summary>
    private async Task<bool> RelayAsync(Stream client, PipeReader clientReader, PostgresBackend backend, bool reused, bool pooling,
        List<KeyValuePair<string, string>> startupParameters, int minor, CancellationToken ct)
    {
        var backendReader = backend.Reader;
        int mintedPid;
        byte[] mintedSecret;
        if (reused)
        {
            (mintedPid, mintedSecret) = RegisterCancel(backend);
            var replay = new ArrayBufferWriter<byte>(512);
            backend.WriteStartupReplay(replay, mintedPid, mintedSecret);
            try
            {
                await client.WriteAsync(replay.WrittenMemory, ct);
                await client.FlushAsync(ct);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _ctx.Cancels.Remove(mintedPid, mintedSecret);
                EmitStart(false, "client closed the connection during start-up", null);
                return false;
            }
        }
        else
        {
            var w = new ArrayBufferWriter<byte>(256);
            StartupMessage.Write(w, minor, startupParameters.ToArray());
            await backend.Stream.WriteAsync(w.WrittenMemory, ct);
            await backend.Stream.FlushAsync(ct);
            bool startedUp;
            (startedUp, mintedPid, mintedSecret) = await StartupPhaseAsync(client, backend, ct);
            if (!startedUp)
            {
                return false;
            }
        }

        var live = new LiveSession(_audit.SessionId, _identity, _db.Name);
        _ctx.Sessions.Add(live);
        EmitStart(true, null, pooling ? new Dictionary<string, string> { ["backend"] = reused ? "pooled" : "new" } : null);
        var started = Stopwatch.GetTimestamp();
        using var expiry = ScheduleExpiry(live);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, live.Terminated);
        // With a pool, the relays also count request cycles (Query, Sync, FunctionCall) against
        // ReadyForQuery, and the client's Terminate is kept from the server.
        var cycles = 0;
        var readies = 0;
        var status = (byte)'I';
        var toDb = new PostgresRelay(clientReader, backend.Stream, _ctx.MaxInspectedMessage)
        {
            Inspect = pooling
                ? static code => code is (byte)'Q' or (byte)'P' or (byte)'B' or (byte)'E' or (byte)'F' or (byte)'S'
                : static code => code is (byte)'Q' or (byte)'P' or (byte)'B' or (byte)'E' or (byte)'F',
            OnMessage = pooling
                ? frame =>
                {
                    if (frame.Code is (byte)'Q' or (byte)'S' or (byte)'F')
                    {
                        cycles++;
                    }
                    Audit(frame);
                }
                : Audit,
            StopBefore = pooling ? (byte)FrontendMessageCode.Terminate : null,
        };
        var toClient = new PostgresRelay(backendReader, client, _ctx.MaxInspectedMessage)
        {
            Inspect = pooling ? static code => code == (byte)'Z' : static _ => false,
            OnMessage = pooling
                ? frame =>
                {
                    readies++;
                    status = ReadyStatus(frame);
                }
                : null,
        };
        var toDbTask = toDb.RunAsync(stop.Token);
        var toClientTask = toClient.RunAsync(stop.Token);
        var first = await Task.WhenAny(toDbTask, toClientTask);
        string endReason;
        var reusable = false;
        if (live.EndReason is not null)
        {
            endReason = live.EndReason;
            await Task.WhenAll(toDbTask, toClientTask);
            if (toClient.AtBoundary)
            {
                await PgWire.WriteFatalAsync(client, "57P01", $"ferry: session closed: {live.EndMessage}");
            }
        }
        else if (first == toDbTask && await toDbTask == RelayEnd.Stopped)
        {
            // Terminate: stop reading the server without disturbing its stream, then see whether it is idle.
            endReason = "client_closed";
            backendReader.CancelPendingRead();
            var serverSide = await toClientTask;
            reusable = serverSide == RelayEnd.Terminated && toClient.AtBoundary && cycles == readies && status == (byte)'I';
        }
        else
        {
            var end = await first;
            endReason = first == toDbTask
                ? end switch { RelayEnd.SourceClosed => "client_closed", RelayEnd.ProtocolError => "client_protocol_error", _ => "database_closed" }
                : end switch { RelayEnd.SourceClosed => "database_closed", RelayEnd.ProtocolError => "database_protocol_error", _ => "client_closed" };
            if (end == RelayEnd.ProtocolError && first == toDbTask)
            {
                await PgWire.WriteFatalAsync(client, "08P01", $"ferry: {toDb.Error}");
            }
            await stop.CancelAsync();
            // Closing the database side ends the other direction promptly.
            await backend.DisposeAsync();
            await Task.WhenAll(toDbTask, toClientTask);
        }
        _ctx.Sessions.Remove(_audit.SessionId);
        _ctx.Cancels.Remove(mintedPid, mintedSecret);
        EmitEnd(endReason, toDb.Bytes, toClient.Bytes, Stopwatch.GetElapsedTime(started));
        return reusable && live.EndReason is null;
    }

    private static byte ReadyStatus(in PostgresFrame frame) => (byte)ReadyForQuery.Read(frame);

    private (int Pid, byte[] Secret) RegisterCancel(PostgresBackend backend) =>
        _ctx.Cancels.Register(new CancelTarget(_db, _audit.DbUser, backend.ProcessId, backend.SecretKey, _audit.SessionId, _identity.User));

    private ITimer? ScheduleExpiry(LiveSession live)
    {
        var left = _identity.NotAfter - _ctx.Time.GetUtcNow();
        if (_identity.NotAfter == default)
        {
            return null;
        }
        if (left <= TimeSpan.Zero)
        {
            live.Terminate("cert_expired", "your certificate expired: run `ferry login`");
            return null;
        }
        return _ctx.Time.CreateTimer(_ => live.Terminate("cert_expired", "your certificate expired: run `ferry login`"), null, left, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Forwards the database's answers up to the first ReadyForQuery, replacing its
    /// BackendKeyData with a minted one. Returns false when the session ended here.
    /// </summary>
    private async Task<(bool Ready, int Pid, byte[] Secret)> StartupPhaseAsync(Stream client, PostgresBackend backend, CancellationToken ct)
    {
        var backendReader = backend.Reader;
        int pid = 0;
        byte[] secret = [];
        while (true)
        {
            byte[]? message;
            try
            {
                message = await PgWire.ReadMessageAsync(backendReader, PostgresLimits.MaxPreAuthMessageLength * 100, ct);
            }
            catch (PostgresProtocolException e)
            {
                EmitStart(false, e.Message, null);
                await PgWire.WriteFatalAsync(client, "08P01", $"ferry: database sent a malformed message: {e.Message}");
                return (false, 0, []);
            }
            if (message is null)
            {
                EmitStart(false, "database closed the connection during start-up", null);
                await PgWire.WriteFatalAsync(client, "08006", "ferry: the database closed the connection during start-up");
                return (false, 0, []);
            }
            var frame = new PostgresFrame(message[0], new ReadOnlySequence<byte>(message));
            switch ((char)message[0])
            {
                case 'R':
                    var auth = Authentication.Read(frame);
                    if (auth.Code != AuthenticationCode.Ok)
                    {
                        var why = $"database {_db.Name} asked for {auth.Code} authentication instead of accepting the certificate: configure `hostssl all all <agent-ip>/32 cert` in pg_hba.conf";
                        EmitStart(false, why, null);
                        await PgWire.WriteFatalAsync(client, "28000", $"ferry: {why}");
                        return (false, 0, []);
                    }
                    await client.WriteAsync(message, ct);
                    break;
                case 'K':
                    var key = BackendKeyData.Read(frame);
                    backend.ProcessId = key.ProcessId;
                    backend.SecretKey = key.SecretKey.ToArray();
                    (pid, secret) = RegisterCancel(backend);
                    var w = new ArrayBufferWriter<byte>(32);
                    BackendKeyData.Write(w, pid, secret);
                    await client.WriteAsync(w.WrittenMemory, ct);
                    break;
                case 'E':
                    var err = ErrorResponse.Read(frame);
                    EmitStart(false, $"database refused the session: {PgWire.Text(err.Message)}", null);
                    await client.WriteAsync(message, ct);
                    await client.FlushAsync(ct);
                    return (false, 0, []);
                case 'Z':
                    await client.WriteAsync(message, ct);
                    await client.FlushAsync(ct);
                    return (true, pid, secret);
                case 'S':
                    backend.SetParameter(message);
                    await client.WriteAsync(message, ct);
                    break;
                default:
                    await client.WriteAsync(message, ct);
                    break;
            }
        }
    }
}
