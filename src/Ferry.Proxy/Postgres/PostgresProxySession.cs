using System.Buffers;
using System.Net;
using System.Net.Security;
using Ferry.Identity;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity.Tls.OpenSsl;

namespace Ferry.Proxy.Postgres;

/// <summary>
/// A PostgreSQL client on the proxy, after TLS: verifies its certificate, finds an agent that
/// serves the database in the certificate's route, opens a tunnel stream carrying the identity
/// and relays. Notes the BackendKeyData the agent minted so cancels can be routed back.
/// </summary>
internal sealed class PostgresProxySession(ProxyContext ctx, OpenSslStream client, IPEndPoint remote, long acceptedAt = 0)
{
    public static async Task RefusePlainAsync(Stream net)
    {
        await using var _ = net;
        await WriteFatalAsync(net, "28000", "ferry: TLS is required: connect with sslmode=verify-full and the certificate from `ferry db login`");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        await using var _ = client;
        StartupPacketHeader startup;
        byte[] packet;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            handshake.CancelAfter(ctx.HandshakeTimeout);
            try
            {
                (startup, packet) = await StartupPacketStream.ReadAsync(client, PostgresLimits.MaxStartupPacketLength, handshake.Token);
            }
            catch (OperationCanceledException)
            {
                Refusals.Record(ctx, "postgres", remote, Refusals.StartupTimeout, "timed out waiting for the StartupMessage");
                await WriteFatalAsync(client, "08P01", "ferry: timed out waiting for the StartupMessage");
                return;
            }
            catch (PostgresProtocolException e)
            {
                Refusals.Record(ctx, "postgres", remote, Refusals.BadStartup, e.Message);
                await WriteFatalAsync(client, e.SqlState, $"ferry: {e.Message}");
                return;
            }
        }
        if (startup.Kind == StartupPacketKind.CancelRequest)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(packet));
            StartupPacketReader.TryRead(ref reader, out var cancel);
            await PostgresCancel.ForwardAsync(ctx, cancel, remote, ct);
            return;
        }

        var der = client.RemoteCertificateData;
        if (der.IsEmpty)
        {
            await DenyAsync(null, "", "no client certificate: run `ferry db login <database>` and connect with its sslcert/sslkey");
            return;
        }
        var verification = ctx.UserVerifier.VerifyUser(der);
        if (!verification.IsValid)
        {
            await DenyAsync(null, "", verification.Message);
            return;
        }
        var identity = verification.Identity;
        if (identity.Route is not { } route)
        {
            await DenyAsync(identity, "", "this certificate is not routed to a database: run `ferry db login <database>`");
            return;
        }
        if (WrongProtocol(route) is { } other)
        {
            var why = $"this certificate is routed to database \"{route.ServiceName}\", a {other} database, not a PostgreSQL one: connect with {(other == "MySQL" ? "mysql" : "its client")}, or run `ferry db login <postgres database>` for a PostgreSQL database";
            Refusals.RecordUnaggregated(ctx, "postgres", remote, Refusals.WrongProtocol, why);
            ProxyAudit.Denied(ctx, DatabaseProtocol.Postgres, identity, remote.ToString(), route.ServiceName, why);
            await WriteFatalAsync(client, "28000", $"ferry: {why}");
            return;
        }
        var lockReason = ctx.FindLock(identity, route.ServiceName);
        if (lockReason is not null)
        {
            await DenyAsync(identity, route.ServiceName, lockReason);
            return;
        }

        var header = new StreamHeader(StreamKind.Postgres, remote.ToString(), route.ServiceName, der.ToArray(), []).Encode();
        var candidates = ctx.Agents.Find(route.ServiceName);
        if (candidates.Count == 0)
        {
            var why = ctx.Agents.NotServedReason(route.ServiceName);
            Refusals.Record(ctx, "postgres", remote, Refusals.NoAgent, $"database {route.ServiceName} is not available: {why}", identity, route.ServiceName);
            await WriteFatalAsync(client, "08001", $"ferry: database \"{route.ServiceName}\" is not available: {why}");
            return;
        }
        if (await AgentStreams.OpenAsync(ctx, candidates, route.ServiceName, header, packet, ct) is (var stream, var tunnel))
        {
            ProxyLog.Accepted(ctx.Log, "postgres", remote.ToString(), identity.User, route.ServiceName, tunnel.AgentId);
            await using (stream)
            {
                await RelayAsync(stream, tunnel.AgentId, route.ServiceName, ct);
            }
            return;
        }
        Refusals.Record(ctx, "postgres", remote, Refusals.AgentsFailed, $"every agent serving {route.ServiceName} failed", identity, route.ServiceName);
        await WriteFatalAsync(client, "08001", $"ferry: database \"{route.ServiceName}\" is not available: every agent serving it failed");
    }

    private async Task RelayAsync(Stream agent, string agentId, string database, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var up = Pump.CopyAsync(client, agent, stop.Token);
        var (pid, secret) = await ForwardUntilReadyAsync(agent, agentId, database, stop.Token);
        FerryMetrics.Connected("postgres", secret is null ? 0 : acceptedAt);
        var down = Pump.CopyAsync(agent, client, stop.Token);
        await Task.WhenAny(up, down);
        await stop.CancelAsync();
        await Task.WhenAll(up, down);
        FerryMetrics.ProxyBytes("postgres", fromClient: true, await up);
        FerryMetrics.ProxyBytes("postgres", fromClient: false, await down);
        if (secret is not null)
        {
            ctx.Cancels.Remove(pid, secret);
        }
    }

    /// <summary>Relays agent→client messages up to the first ReadyForQuery, noting BackendKeyData.</summary>
    private async Task<(int Pid, byte[]? Secret)> ForwardUntilReadyAsync(Stream agent, string agentId, string database, CancellationToken ct)
    {
        int pid = 0;
        byte[]? secret = null;
        try
        {
            while (true)
            {
                var (frame, bytes) = await PostgresFrameStream.ReadAsync(agent, PostgresLimits.MaxStartupResponseLength, ct);
                var code = (BackendMessageCode)frame.Code;
                if (code == BackendMessageCode.BackendKeyData)
                {
                    var key = BackendKeyData.Read(frame);
                    pid = key.ProcessId;
                    secret = key.SecretKey.ToArray();
                    ctx.Cancels.Add(pid, secret, agentId, database, remote.Address);
                }
                await client.WriteAsync(bytes, ct);
                if (code is BackendMessageCode.ReadyForQuery or BackendMessageCode.ErrorResponse)
                {
                    await client.FlushAsync(ct);
                    return (pid, secret);
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or PostgresProtocolException)
        {
            return (pid, secret);
        }
    }

    /// <summary>The other protocol's name when the route, or the agents serving its database, say it is not PostgreSQL; else null.</summary>
    private string? WrongProtocol(DatabaseRoute route)
    {
        if (route.Protocol != DatabaseProtocol.Postgres)
        {
            return "MySQL";
        }
        foreach (var db in ctx.Agents.Databases())
        {
            if (db.Name == route.ServiceName && db.Protocol != DatabaseProtocol.Postgres.ToName())
            {
                return db.Protocol == DatabaseProtocol.MySql.ToName() ? "MySQL" : db.Protocol;
            }
        }
        return null;
    }

    private async Task DenyAsync(UserIdentity? identity, string database, string reason)
    {
        var word = Refusals.Of(identity is not null, database);
        if (identity is null)
        {
            // No verified identity: counted, and audited in aggregate per source address.
            Refusals.Record(ctx, "postgres", remote, word, reason);
        }
        else
        {
            Refusals.RecordUnaggregated(ctx, "postgres", remote, word, reason);
            ProxyAudit.Denied(ctx, DatabaseProtocol.Postgres, identity, remote.ToString(), database, reason);
        }
        await WriteFatalAsync(client, "28000", $"ferry: {reason}");
    }

    internal static Task WriteFatalAsync(Stream stream, string sqlState, string message) => FatalError.WriteAsync(stream, sqlState, message);
}
