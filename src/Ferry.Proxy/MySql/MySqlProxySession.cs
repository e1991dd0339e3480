using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ferry.Identity;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Auth;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity.Tls.OpenSsl;

namespace Ferry.Proxy.MySql;

/// <summary>
/// A MySQL client on the proxy. Plays the server's part of the handshake (greeting, SSLRequest + TLS,
/// HandshakeResponse41, an auth switch to mysql_native_password when the client chose another plugin —
/// the password is ignored: the client certificate is the credential), verifies the certificate, then
/// opens a tunnel stream to an agent serving the routed database. The agent logs in to the real server
/// and answers the client's handshake with the server's OK or an ERR; from then on bytes are relayed.
/// </summary>
internal sealed class MySqlProxySession(ProxyContext ctx, IPEndPoint remote, long acceptedAt = 0)
{
    /// <summary>ER_ACCESS_DENIED_ERROR.</summary>
    private const ushort AccessDenied = 1045;

    /// <summary>ER_SECURE_TRANSPORT_REQUIRED.</summary>
    private const ushort SecureTransportRequired = 3159;

    /// <summary>ER_HANDSHAKE_ERROR.</summary>
    private const ushort HandshakeError = 1043;

    /// <summary>ER_UNKNOWN_ERROR, for a database no connected agent serves (servers have no closer code).</summary>
    private const ushort Unavailable = 1105;

    private MySqlCapabilities _clientCaps = MySqlCapabilities.Protocol41;

    /// <summary>Runs a session on a plain TCP connection to the MySQL listener (TLS via SSLRequest).</summary>
    public Task RunPlainAsync(NetworkStream network, CancellationToken ct) => RunAsync(network, tlsAlready: false, ct);

    /// <summary>Runs a session on a TLS connection that negotiated ALPN <c>ferry-mysql</c> on port 3080.</summary>
    public Task RunTlsAsync(OpenSslStream tls, CancellationToken ct) => RunAsync(tls, tlsAlready: true, ct);

    private async Task RunAsync(Stream network, bool tlsAlready, CancellationToken ct)
    {
        Stream client = network;
        try
        {
            var connectionId = MySqlGreeting.NewConnectionId();
            ProxyHandshakePrelude? prelude;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                handshake.CancelAfter(ctx.HandshakeTimeout);
                (client, prelude) = await HandshakeAsync(network, tlsAlready, connectionId, handshake.Token);
            }
            if (prelude is null)
            {
                return;
            }
            await RouteAsync(client, prelude, ct);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or ObjectDisposedException or EndOfStreamException)
        {
            // The client went away, stalled past the handshake timeout or failed TLS: nothing to answer.
            ProxyLog.HandshakeFailed(ctx.Log, remote.ToString(), e.Message);
        }
        finally
        {
            await client.DisposeAsync();
            if (!ReferenceEquals(client, network))
            {
                await network.DisposeAsync();
            }
        }
    }

    /// <summary>Returns the stream to continue on (TLS) and the prelude, or a null prelude when the client was answered and should be closed.</summary>
    private async Task<(Stream Client, ProxyHandshakePrelude? Prelude)> HandshakeAsync(Stream network, bool tlsAlready, uint connectionId, CancellationToken ct)
    {
        var scramble = MySqlGreeting.NewScramble();
        var greeting = new ArrayBufferWriter<byte>(128);
        var database = tlsAlready && network is OpenSslStream alpnTls ? RoutedService(alpnTls.RemoteCertificateData) : null;
        var (serverVersion, collation) = MySqlGreeting.Server(ctx.Agents, database);
        MySqlGreeting.Write(greeting, serverVersion, connectionId, scramble, tlsAlready, collation);
        await MySqlPacketStream.WriteFramedAsync(network, greeting, ct);

        Stream client = network;
        var packet = await ReadAsync(client, 2, ct);
        if (packet is null)
        {
            return (client, null);
        }
        var (seq, payload) = packet.Value;
        if (!tlsAlready)
        {
            if (!SslRequest.IsSslRequest(new ReadOnlySequence<byte>(payload)))
            {
                _clientCaps = HandshakeResponse41.PeekCapabilities(new ReadOnlySequence<byte>(payload));
                await DenyAsync(client, (byte)(seq + 1), null, "", SecureTransportRequired, "HY000",
                    "TLS is required: connect with --ssl-mode=VERIFY_IDENTITY (mariadb: --ssl --ssl-verify-server-cert) and the certificate and key from `ferry db login`");
                return (client, null);
            }
            client = await OpenSslStream.AcceptAsync((NetworkStream)network, ReadOnlyMemory<byte>.Empty, OpenSslContext.ForServer(ctx.ServerCertificate), null, ct);
            packet = await ReadAsync(client, 3, ct);
            if (packet is null)
            {
                return (client, null);
            }
            (seq, payload) = packet.Value;
        }

        HandshakeResponse41 response;
        try
        {
            response = HandshakeResponse41.Read(new ReadOnlySequence<byte>(payload));
        }
        catch (MySqlProtocolException e)
        {
            await DenyAsync(client, (byte)(seq + 1), null, "", HandshakeError, "08S01", $"bad handshake: {e.Message}");
            return (client, null);
        }
        _clientCaps = response.Capabilities;
        var next = (byte)(seq + 1);
        var plugin = Encoding.ASCII.GetString(response.AuthPluginName);
        if ((response.Capabilities & MySqlCapabilities.PluginAuth) != 0 && plugin.Length > 0 && plugin != MySqlScramble.NativePasswordPlugin)
        {
            // The password is never checked, but a client that chose e.g. caching_sha2_password expects that
            // plugin's exchange; switching it to mysql_native_password ends the exchange after one answer.
            var w = new ArrayBufferWriter<byte>(64);
            AuthSwitchRequest.Write(w, next, Encoding.ASCII.GetBytes(MySqlScramble.NativePasswordPlugin), [.. scramble, 0]);
            await MySqlPacketStream.WriteFramedAsync(client, w, ct);
            var answer = await ReadAsync(client, (byte)(next + 2), ct);
            if (answer is null)
            {
                return (client, null);
            }
            next = (byte)(answer.Value.SequenceId + 1);
        }
        return (client, new ProxyHandshakePrelude(next, connectionId, payload));
    }

    private string? RoutedService(ReadOnlyMemory<byte> certificate)
    {
        if (certificate.IsEmpty)
        {
            return null;
        }
        var verification = ctx.UserVerifier.VerifyUser(certificate);
        return verification.IsValid ? verification.Identity.Route?.ServiceName : null;
    }

    private async Task RouteAsync(Stream client, ProxyHandshakePrelude prelude, CancellationToken ct)
    {
        var next = prelude.NextSequenceId;
        var der = (client as OpenSslStream)?.RemoteCertificateData ?? default;
        if (der.IsEmpty)
        {
            await DenyAsync(client, next, null, "", AccessDenied, "28000", "no client certificate: run `ferry db login <database>` and connect with its --ssl-cert/--ssl-key");
            return;
        }
        var verification = ctx.UserVerifier.VerifyUser(der);
        if (!verification.IsValid)
        {
            await DenyAsync(client, next, null, "", AccessDenied, "28000", verification.Message);
            return;
        }
        var identity = verification.Identity;
        if (identity.Route is not { } route)
        {
            await DenyAsync(client, next, identity, "", AccessDenied, "28000", "this certificate is not routed to a database: run `ferry db login <database>`");
            return;
        }
        if (WrongProtocol(route) is { } other)
        {
            var why = $"this certificate is routed to database \"{route.ServiceName}\", a {other} database, not a MySQL one: connect with {(other == "PostgreSQL" ? "psql" : "its client")}, or run `ferry db login <mysql database>` for a MySQL database";
            Refusals.RecordUnaggregated(ctx, "mysql", remote, Refusals.WrongProtocol, why);
            ProxyAudit.Denied(ctx, DatabaseProtocol.MySql, identity, remote.ToString(), route.ServiceName, why);
            await WriteErrAsync(client, next, AccessDenied, "28000", $"ferry: {why}");
            return;
        }
        var lockReason = ctx.FindLock(identity, route.ServiceName);
        if (lockReason is not null)
        {
            await DenyAsync(client, next, identity, route.ServiceName, AccessDenied, "28000", lockReason);
            return;
        }

        var header = new StreamHeader(StreamKind.MySql, remote.ToString(), route.ServiceName, der.ToArray(), prelude.Encode()).Encode();
        var candidates = ctx.Agents.Find(route.ServiceName);
        if (candidates.Count == 0)
        {
            var why = ctx.Agents.NotServedReason(route.ServiceName);
            Refusals.Record(ctx, "mysql", remote, Refusals.NoAgent, $"database {route.ServiceName} is not available: {why}", identity, route.ServiceName);
            await WriteErrAsync(client, next, Unavailable, "08S01", $"ferry: database \"{route.ServiceName}\" is not available: {why}");
            return;
        }
        if (await AgentStreams.OpenAsync(ctx, candidates, route.ServiceName, header, ReadOnlyMemory<byte>.Empty, ct) is (var stream, var tunnel))
        {
            ProxyLog.Accepted(ctx.Log, "mysql", remote.ToString(), identity.User, route.ServiceName, tunnel.AgentId);
            FerryMetrics.Connected("mysql", acceptedAt);
            await using (stream)
            {
                var (up, down) = await Pump.BothWaysAsync(client, stream, ct);
                FerryMetrics.ProxyBytes("mysql", fromClient: true, up);
                FerryMetrics.ProxyBytes("mysql", fromClient: false, down);
            }
            return;
        }
        Refusals.Record(ctx, "mysql", remote, Refusals.AgentsFailed, $"every agent serving {route.ServiceName} failed", identity, route.ServiceName);
        await WriteErrAsync(client, next, Unavailable, "08S01", $"ferry: database \"{route.ServiceName}\" is not available: every agent serving it failed");
    }

    /// <summary>
    /// Reads one handshake packet; a packet over the pre-authentication limit is refused (ER_NET_PACKET_TOO_LARGE,
    /// counted, logged and audited; the answer has <paramref name="answerSequenceId"/>, the one that follows the packet
    /// expected) and null returned, as at the end of the stream.
    /// </summary>
    private async Task<(byte SequenceId, byte[] Payload)?> ReadAsync(Stream stream, byte answerSequenceId, CancellationToken ct)
    {
        try
        {
            return await MySqlPacketStream.ReadAsync(stream, MySqlLimits.MaxPreAuthPayloadLength, ct);
        }
        catch (MySqlProtocolException e)
        {
            var reason = e.ErrorCode == MySqlProtocolException.PacketTooLarge ? Refusals.TooLarge : Refusals.BadStartup;
            var message = $"handshake packet refused: {e.Message} (at most {MySqlLimits.MaxPreAuthPayloadLength} bytes before authentication)";
            Refusals.Record(ctx, "mysql", remote, reason, message);
            await WriteErrAsync(stream, answerSequenceId, e.ErrorCode, MySqlProtocolException.SqlState, $"ferry: {message}");
            return null;
        }
    }

    /// <summary>
    /// The other protocol's name when the route, or the agents serving its database, say it is not MySQL; else null.
    /// </summary>
    private string? WrongProtocol(DatabaseRoute route)
    {
        if (route.Protocol != DatabaseProtocol.MySql)
        {
            return "PostgreSQL";
        }
        foreach (var db in ctx.Agents.Databases())
        {
            if (db.Name == route.ServiceName && db.Protocol != DatabaseProtocol.MySql.ToName())
            {
                return db.Protocol == DatabaseProtocol.Postgres.ToName() ? "PostgreSQL" : db.Protocol;
            }
        }
        return null;
    }

    private async Task DenyAsync(Stream client, byte sequenceId, UserIdentity? identity, string database, ushort code, string sqlState, string reason)
    {
        var word = code switch { SecureTransportRequired => Refusals.TlsRequired, HandshakeError => Refusals.BadStartup, _ => Refusals.Of(identity is not null, database) };
        if (identity is null)
        {
            // No verified identity (no TLS, garbage, bad certificate): counted, and audited in aggregate per source address.
            Refusals.Record(ctx, "mysql", remote, word, reason);
        }
        else
        {
            Refusals.RecordUnaggregated(ctx, "mysql", remote, word, reason);
            ProxyAudit.Denied(ctx, DatabaseProtocol.MySql, identity, remote.ToString(), database, reason);
        }
        await WriteErrAsync(client, sequenceId, code, sqlState, $"ferry: {reason}");
    }

    private async Task WriteErrAsync(Stream client, byte sequenceId, ushort code, string sqlState, string message)
    {
        var w = new ArrayBufferWriter<byte>(256);
        ErrPacket.Write(w, sequenceId, _clientCaps | MySqlCapabilities.Protocol41, code, sqlState, message);
        await MySqlPacketStream.WriteFramedAsync(client, w, CancellationToken.None);
    }
}
