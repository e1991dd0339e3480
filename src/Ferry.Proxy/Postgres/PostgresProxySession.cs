using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using Ferry.Audit;
using Ferry.Identity;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Contracts;
using Ferry.Diagnostics;

namespace Ferry.Proxy.Postgres;

/// <summary>
/// A PostgreSQL client on the proxy, after TLS: verifies its certificate, finds an agent that
/// serves the database in the certificate's route, opens a tunnel stream carrying the identity
/// and relays. Notes the BackendKeyData the agent minted so cancels can be routed back.
/// </summary>
internal sealed class PostgresProxySession(ProxyContext ctx, SslStream client, IPEndPoint remote, long acceptedAt = 0)
{
    public static async Task RefusePlainAsync(Stream net)
    {
        await using var _ = net;
        await WriteFatalAsync(net, "28000", "ferry: TLS is required: connect with sslmode=verify-full and the certificate from `ferry db login`");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        await using var _ = client;
        byte[]? packet;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            handshake.CancelAfter(ctx.HandshakeTimeout);
            try
            {
                packet = await ReadStartupAsync(client, handshake.Token);
            }
            catch (OperationCanceledException)
            {
                Refusals.Record(ctx, "postgres", remote, Refusals.StartupTimeout, "timed out waiting for the StartupMessage");
                await WriteFatalAsync(client, "08P01", "ferry: timed out waiting for the StartupMessage");
                return;
            }
        }
        if (packet is null)
        {
            Refusals.Record(ctx, "postgres", remote, Refusals.BadStartup, "invalid startup packet length");
            await WriteFatalAsync(client, "08P01", "ferry: invalid startup packet length (the limit before authentication is 10000 bytes)");
            return;
        }
        var code = BinaryPrimitives.ReadInt32BigEndian(packet.AsSpan(4));
        if (code == 80877102)
        {
            await PostgresCancel.ForwardAsync(ctx, packet, remote, ct);
            return;
        }

        var certificate = client.RemoteCertificate;
        if (certificate is null)
        {
            await DenyAsync(null, "", "no client certificate: run `ferry db login <database>` and connect with its sslcert/sslkey");
            return;
        }
        var der = certificate.GetRawCertData();
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
        var lockReason = ctx.FindLock(identity, route.ServiceName);
        if (lockReason is not null)
        {
            await DenyAsync(identity, route.ServiceName, lockReason);
            return;
        }

        var header = new StreamHeader(StreamKind.Postgres, remote.ToString(), route.ServiceName, der, []).Encode();
        var candidates = ctx.Agents.Find(route.ServiceName);
        if (candidates.Count == 0)
        {
            Refusals.Record(ctx, "postgres", remote, Refusals.NoAgent, $"no agent serving {route.ServiceName} is connected");
            await WriteFatalAsync(client, "08001", $"ferry: database \"{route.ServiceName}\" is not available: no agent serving it is connected");
            return;
        }
        foreach (var (tunnel, _) in candidates)
        {
            Stream stream;
            try
            {
                stream = await tunnel.OpenStreamAsync(ct);
                await stream.WriteAsync(header, ct);
                await stream.WriteAsync(packet, ct);
                await stream.FlushAsync(ct);
            }
            catch (Exception e) when (e is Ferry.Tunnel.TunnelException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                // This agent's tunnel broke under us: the next candidate may still serve the database.
                ProxyLog.AgentStreamFailed(ctx.Log, tunnel.AgentId, route.ServiceName, e.Message);
                continue;
            }
            ProxyLog.Accepted(ctx.Log, "postgres", remote.ToString(), identity.User, route.ServiceName, tunnel.AgentId);
            await using (stream)
            {
                await RelayAsync(stream, tunnel.AgentId, route.ServiceName, ct);
            }
            return;
        }
        Refusals.Record(ctx, "postgres", remote, Refusals.AgentsFailed, $"every agent serving {route.ServiceName} failed");
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
        var header = new byte[5];
        try
        {
            while (true)
            {
                await agent.ReadExactlyAsync(header, ct);
                var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
                if (length is < 4 or > 1024 * 1024)
                {
                    return (pid, secret);
                }
                var body = new byte[length - 4];
                await agent.ReadExactlyAsync(body, ct);
                if (header[0] == (byte)'K' && body.Length >= 8)
                {
                    pid = BinaryPrimitives.ReadInt32BigEndian(body);
                    secret = body[4..];
                    ctx.Cancels.Add(pid, secret, agentId, database);
                }
                await client.WriteAsync(header, ct);
                await client.WriteAsync(body, ct);
                if (header[0] is (byte)'Z' or (byte)'E')
                {
                    await client.FlushAsync(ct);
                    return (pid, secret);
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
            return (pid, secret);
        }
    }

    private async Task DenyAsync(UserIdentity? identity, string database, string reason)
    {
        Refusals.Record(ctx, "postgres", remote, Refusals.Of(identity is not null, database), reason);
        ctx.Audit.Emit(new AuditEvent
        {
            Id = AuditEventId.New(),
            Time = ctx.Time.GetUtcNow(),
            Type = AuditEventTypes.DbSessionStart,
            Code = AuditEventCodes.DbSessionStartDenied,
            Cluster = ctx.ClusterName,
            User = identity?.User,
            Roles = identity?.Roles,
            ClientAddr = remote.ToString(),
            ServerId = ctx.ProxyId,
            DbService = database.Length > 0 ? database : null,
            DbProtocol = "postgres",
            Success = false,
            Error = reason,
        });
        await WriteFatalAsync(client, "28000", $"ferry: {reason}");
    }

    internal static Task WriteFatalAsync(Stream stream, string sqlState, string message) => FatalError.WriteAsync(stream, sqlState, message);

    /// <summary>Reads the first startup-family packet whole (at most 10,000 bytes before authentication).</summary>
    private static async Task<byte[]?> ReadStartupAsync(Stream stream, CancellationToken ct)
    {
        var lengthBytes = new byte[4];
        await stream.ReadExactlyAsync(lengthBytes, ct);
        var length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
        if (length is < 8 or > 10_000)
        {
            return null;
        }
        var packet = new byte[length];
        lengthBytes.CopyTo(packet, 0);
        await stream.ReadExactlyAsync(packet.AsMemory(4), ct);
        return packet;
    }
}
