using Ferry.Diagnostics;
using System.Buffers;
using System.IO.Pipelines;
using Ferry.Agent.MySql;
using Ferry.Agent.Postgres;
using Ferry.Audit;
using Ferry.Identity;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Contracts;

namespace Ferry.Agent;

/// <summary>
/// Serves one tunnel stream opened by a proxy: reads the stream header, verifies the forwarded
/// user certificate again against the user CA, and runs the session it asks for.
/// </summary>
public sealed class AgentStreamHandler(AgentContext ctx)
{
    public async Task HandleAsync(Stream stream, CancellationToken ct)
    {
        await using var _ = stream;
        StreamHeader header;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ctx.HandshakeTimeout);
            header = await StreamHeader.ReadAsync(stream, timeout.Token);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or OperationCanceledException or IOException)
        {
            AgentLog.StreamHeaderUnreadable(ctx.Log, e.Message);
            return;
        }

        switch (header.Kind)
        {
            case StreamKind.PostgresCancel:
                await CancelAsync(header, ct);
                return;
            case StreamKind.Postgres:
                await PostgresAsync(stream, header, ct);
                return;
            case StreamKind.MySql:
                await MySqlAsync(stream, header, ct);
                return;
            default:
                return;
        }
    }

    private async Task PostgresAsync(Stream stream, StreamHeader header, CancellationToken ct)
    {
        var verification = ctx.Authority.UserVerifier.VerifyUser(header.ClientCertificate);
        if (!verification.IsValid)
        {
            DenyEarly(header, DatabaseProtocol.Postgres, verification.Message);
            await PgWire.WriteFatalAsync(stream, "28000", $"ferry: {verification.Message}");
            return;
        }
        if (!ctx.Databases.TryGetValue(header.Service, out var db) || db.Protocol != DatabaseProtocol.Postgres)
        {
            AgentRefusals.Record(ctx, AgentRefusals.UnknownDatabase, header.Service, header.ClientAddress, "not served by this agent");
            await PgWire.WriteFatalAsync(stream, "3D000", $"ferry: this agent does not serve a PostgreSQL database named \"{header.Service}\"");
            return;
        }
        using var session = new PostgresAgentSession(ctx, db, verification.Identity, header.ClientAddress) { UserCertificate = header.ClientCertificate };
        await session.RunAsync(stream, ct);
    }

    private async Task MySqlAsync(Stream stream, StreamHeader header, CancellationToken ct)
    {
        ProxyHandshakePrelude prelude;
        try
        {
            prelude = ProxyHandshakePrelude.Decode(header.Extra);
        }
        catch (InvalidDataException)
        {
            return;
        }
        var verification = ctx.Authority.UserVerifier.VerifyUser(header.ClientCertificate);
        if (!verification.IsValid)
        {
            DenyEarly(header, DatabaseProtocol.MySql, verification.Message);
            await stream.WriteAsync(MySqlSessionErrors.Packet(prelude.NextSequenceId, MySqlSessionErrors.AccessDenied, "28000", verification.Message), ct);
            return;
        }
        if (!ctx.Databases.TryGetValue(header.Service, out var db) || db.Protocol != DatabaseProtocol.MySql)
        {
            AgentRefusals.Record(ctx, AgentRefusals.UnknownDatabase, header.Service, header.ClientAddress, "not served by this agent");
            await stream.WriteAsync(MySqlSessionErrors.Packet(prelude.NextSequenceId, 1049, "42000", $"this agent does not serve a MySQL database named \"{header.Service}\""), ct);
            return;
        }
        using var session = new MySqlAgentSession(ctx, db, verification.Identity, header.ClientAddress) { UserCertificate = header.ClientCertificate };
        await session.RunAsync(stream, prelude, ct);
    }

    /// <summary>A session refused before it has a user: the forwarded certificate did not verify.</summary>
    private void DenyEarly(StreamHeader header, DatabaseProtocol protocol, string reason)
    {
        AgentRefusals.Record(ctx, AgentRefusals.Certificate, header.Service, header.ClientAddress, reason);
        ctx.Audit.Emit(ctx.AuditEvents.SessionDenied(
            new DbSessionSubject(ClientAddr: header.ClientAddress, DbService: header.Service, DbProtocol: protocol.ToName()), reason));
    }

    /// <summary>Forwards a CancelRequest for a key this agent minted to the database's real backend.</summary>
    private async Task CancelAsync(StreamHeader header, CancellationToken ct)
    {
        CancelRequest request;
        try
        {
            var sr = new SequenceReader<byte>(new ReadOnlySequence<byte>(header.Extra));
            if (StartupPacketReader.TryRead(ref sr, out var packet) != OperationStatus.Done || packet.Kind != StartupPacketKind.CancelRequest)
            {
                return;
            }
            request = CancelRequest.Read(packet);
        }
        catch (PostgresProtocolException)
        {
            return; // not a CancelRequest: nothing to forward
        }
        var target = ctx.Cancels.TryBegin(request.ProcessId, request.SecretKey.ToArray(), ctx.Time.GetUtcNow(), out var throttled);
        if (target is null)
        {
            // Unknown (the session ended) or over the key's rate: dropped, as PostgreSQL drops a cancel it cannot match.
            FerryMetrics.Cancel(FerryMetrics.Sides.Agent, throttled ? "throttled" : "unknown_key");
            AgentLog.CancelNotDelivered(ctx.Log, header.Service, throttled ? "over the rate allowed for its key" : "no session has this key");
            return;
        }
        FerryMetrics.Cancel(FerryMetrics.Sides.Agent, "forwarded");
        try
        {
            var cert = await ctx.Authority.GetDbClientCertificateAsync(target.Database.Name, target.DbUser, target.DbName, target.UserCertificate, ct);
            await using var backend = await PostgresBackendConnector.ConnectAsync(target.Database, cert, target.Database.TrustedRoots(), ct);
            var w = new ArrayBufferWriter<byte>(16 + target.SecretKey.Length);
            CancelRequest.Write(w, target.ProcessId, target.SecretKey);
            await backend.WriteAsync(w.WrittenMemory, ct);
            await backend.FlushAsync(ct);
            // The server closes the connection after acting on the request.
            var sink = new byte[16];
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                while (await backend.ReadAsync(sink, wait.Token) > 0)
                {
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The server acts on a cancel and closes; one that lingers past 5 s or resets is done with too.
                AgentLog.CancelNotDelivered(ctx.Log, target.Database.Name, "the server did not close the cancel connection: " + e.Message);
            }
            ctx.Audit.Emit(ctx.AuditEvents.Create(AuditEventKinds.DbSessionCancel, new DbSessionSubject(
                User: target.User, SessionId: target.SessionId, ClientAddr: header.ClientAddress,
                DbService: target.Database.Name, DbProtocol: DatabaseProtocol.Postgres.ToName())));
        }
        catch (Exception e) when (e is DatabaseConnectException or IOException)
        {
            // A cancel is best effort, as in PostgreSQL: the client's cancel connection gets no answer either way.
            AgentLog.CancelNotDelivered(ctx.Log, target.Database.Name, e.Message);
        }
    }
}
