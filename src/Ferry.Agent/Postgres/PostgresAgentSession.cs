using System.Buffers;
using System.IO.Pipelines;
using Ferry.Audit;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Agent.Postgres;

/// <summary>
/// One PostgreSQL session on the agent: reads the client's StartupMessage, applies RBAC and
/// locks, connects to the database with a db-client certificate, swaps the database's
/// BackendKeyData for one the agent minted, then relays and audits every statement.
/// </summary>
internal sealed partial class PostgresAgentSession(AgentContext ctx, AgentDatabase db, UserIdentity identity, string clientAddress)
    : AgentSession(ctx, db, identity, clientAddress)
{
    protected override string DbNameNoun => "db name";

    public async Task RunAsync(Stream client, CancellationToken ct)
    {
        var clientReader = ReaderFor(client);
        StartupRequest? startup;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            handshake.CancelAfter(Ctx.HandshakeTimeout);
            try
            {
                startup = await PgWire.ReadStartupAsync(clientReader, handshake.Token);
            }
            catch (OperationCanceledException)
            {
                await PgWire.WriteFatalAsync(client, "08P01", "timed out waiting for the StartupMessage");
                return;
            }
            catch (PostgresProtocolException e)
            {
                Audit.Refused(AgentRefusals.BadStartup, e.Message);
                await PgWire.WriteFatalAsync(client, e.SqlState, e.Message);
                return;
            }
        }
        if (startup is null)
        {
            return;
        }
        var (parameters, minor, error) = startup;
        if (error is not null)
        {
            Audit.Refused(AgentRefusals.BadStartup, error);
            await PgWire.WriteFatalAsync(client, "08P01", error);
            return;
        }

        var user = parameters.FirstOrDefault(p => p.Key == "user").Value;
        Audit.DbUser = string.IsNullOrEmpty(user) ? Identity.Route?.DbUser ?? "" : user;
        var database = parameters.FirstOrDefault(p => p.Key == "database").Value;
        Audit.DbName = string.IsNullOrEmpty(database) ? (Identity.Route?.DbName is { Length: > 0 } routeName ? routeName : Audit.DbUser) : database;
        if (Audit.DbUser.Length == 0)
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
            Audit.Refused(AgentRefusals.AuthorityUnavailable, e.Message);
            await PgWire.WriteFatalAsync(client, "08006", $"ferry: cannot check access right now: {e.Message}");
            return;
        }
        if (denial is not null)
        {
            await Deny(client, denial);
            return;
        }

        if (CheckStartupPins(parameters) is { } pinned)
        {
            Audit.Refused(AgentRefusals.AccessDenied, pinned);
            FerryMetrics.LimitHit(Db.Protocol.ToName(), Db.Name, Limits.PinnedSetting);
            await PgWire.WriteFatalAsync(client, "42501", pinned);
            return;
        }

        var startupParameters = ForDatabase(parameters);
        AddPinnedParameters(startupParameters);
        var pool = Ctx.PostgresPool(Db);
        var poolKey = pool is null ? null : PostgresBackendPool.Key(minor, startupParameters);
        var backend = pool is null ? null : await pool.TakeAsync(poolKey!);
        var reused = backend is not null;
        if (backend is null)
        {
            try
            {
                var cert = await Ctx.Authority.GetDbClientCertificateAsync(Db.Name, Audit.DbUser, Audit.DbName, UserCertificate, ct);
                backend = new PostgresBackend(await PostgresBackendConnector.ConnectAsync(Db, cert, Db.TrustedRoots(), ct), Ctx.Time.GetUtcNow());
            }
            catch (Exception e) when (e is DatabaseConnectException or IOException or HttpRequestException or InvalidOperationException)
            {
                Audit.Refused(AgentRefusals.DatabaseUnreachable, e.Message);
                await PgWire.WriteFatalAsync(client, "08006", $"ferry: {e.Message}");
                return;
            }
        }

        var keep = false;
        try
        {
            keep = await ServeAsync(client, clientReader, backend, reused, pool is not null, startupParameters, minor, ct);
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

    private async Task Deny(Stream client, string reason)
    {
        Audit.Refused(DenialRefusal, reason);
        await PgWire.WriteFatalAsync(client, DeniedForSessionLimit ? "53300" : "28000", reason);
    }

    /// <summary>
    /// Starts the session on <paramref name="backend"/> (a new connection's start-up, or a pooled one's
    /// replayed answers), then relays until either side ends. Returns true when the connection may go
    /// back to the pool: the client sent Terminate while the server was idle with nothing in flight.
    /// </summary>
    private async Task<bool> ServeAsync(Stream client, PipeReader clientReader, PostgresBackend backend, bool reused, bool pooling,
        List<KeyValuePair<string, string>> startupParameters, int minor, CancellationToken ct)
    {
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
                Ctx.Cancels.Remove(mintedPid, mintedSecret);
                Audit.Denied("client closed the connection during start-up");
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

        _client = client;
        _clientReader = clientReader;
        _backend = backend;
        _pooling = pooling;
        await RelayAsync(pooling ? new Dictionary<string, string> { ["backend"] = reused ? "pooled" : "new" } : null, ct);
        Ctx.Cancels.Remove(mintedPid, mintedSecret);
        return _reusable && !ClosedByAgent;
    }

    private (int Pid, byte[] Secret) RegisterCancel(PostgresBackend backend) =>
        Ctx.Cancels.Register(new CancelTarget(Db, Audit.DbUser, backend.ProcessId, backend.SecretKey, Audit.SessionId, Identity.User) { DbName = Audit.DbName, UserCertificate = UserCertificate });
}
