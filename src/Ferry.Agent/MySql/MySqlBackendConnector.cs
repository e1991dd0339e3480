using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Agent.MySql;

/// <summary>
/// Logs in to a MySQL/MariaDB server as the client's db user with a db-client certificate: reads the
/// greeting, sends SSLRequest, mutual TLS (server certificate checked as the database's TLS mode says),
/// then a HandshakeResponse41 with an empty password, asking for exactly the capabilities the client
/// chose with the proxy, so that every later packet can be relayed unchanged. The account is expected to
/// be <c>REQUIRE SUBJECT '/CN=&lt;user&gt;'</c> without a password.
/// </summary>
internal static class MySqlBackendConnector
{
    /// <summary>Capabilities that change how later packets are encoded: the server must grant each one the client chose.</summary>
    private const MySqlCapabilities EncodingCapabilities = MySqlCapabilities.Protocol41 | MySqlCapabilities.Transactions
        | MySqlCapabilities.SessionTrack | MySqlCapabilities.DeprecateEof | MySqlCapabilities.MultiResults
        | MySqlCapabilities.PsMultiResults | MySqlCapabilities.MultiStatements;

    /// <summary>Capabilities that only concern the handshake or that the agent never asks for.</summary>
    private const MySqlCapabilities NotForwarded = MySqlCapabilities.ConnectAttrs | MySqlCapabilities.Compress
        | MySqlCapabilities.LocalFiles | MySqlCapabilities.ZstdCompressionAlgorithm | MySqlCapabilities.QueryAttributes
        | MySqlCapabilities.OptionalResultsetMetadata | MySqlCapabilities.MultiFactorAuthentication
        | MySqlCapabilities.CapabilityExtension | MySqlCapabilities.SslVerifyServerCert | MySqlCapabilities.RememberOptions
        | MySqlCapabilities.ConnectWithDb | MySqlCapabilities.Ssl;

    /// <summary>
    /// Sent once after the login (and again after each COM_RESET_CONNECTION): the server reports every change of
    /// the default schema in its OK packets, and every change of the two variables that could turn that off.
    /// </summary>
    public static ReadOnlySpan<byte> TrackSchemaStatement => "SET SESSION session_track_schema = ON, session_track_system_variables = IF(@@session_track_system_variables = '*', '*', CONCAT_WS(',', NULLIF(@@session_track_system_variables, ''), 'session_track_schema', 'session_track_system_variables'))"u8;

    /// <summary>
    /// The statement the agent runs after the login (and after each COM_RESET_CONNECTION): schema tracking, and the settings
    /// the roles pin — MariaDB <c>max_statement_time</c> (seconds) or MySQL <c>max_execution_time</c> (milliseconds, SELECTs
    /// only), and <c>tx_read_only</c> (MariaDB before 11.1) or <c>transaction_read_only</c>, the variable behind
    /// <c>SET SESSION TRANSACTION READ ONLY</c>.
    /// </summary>
    public static byte[] SessionSetupStatement(string serverVersion, TimeSpan? statementTimeout, bool readOnly)
    {
        if (statementTimeout is null && !readOnly)
        {
            return TrackSchemaStatement.ToArray();
        }
        var mariaDb = serverVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        var sb = new StringBuilder(Encoding.ASCII.GetString(TrackSchemaStatement));
        if (statementTimeout is { } timeout)
        {
            sb.Append(mariaDb
                ? FormattableString.Invariant($", max_statement_time = {(long)timeout.TotalSeconds}")
                : FormattableString.Invariant($", max_execution_time = {(long)timeout.TotalMilliseconds}"));
        }
        if (readOnly)
        {
            sb.Append(mariaDb && !HasTransactionReadOnly(serverVersion) ? ", tx_read_only = 1" : ", transaction_read_only = 1");
        }
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    /// <summary>MariaDB 11.1 renamed tx_read_only to transaction_read_only.</summary>
    private static bool HasTransactionReadOnly(string version)
    {
        var start = version.StartsWith("5.5.5-", StringComparison.Ordinal) ? 6 : 0;
        var parts = version[start..].Split('.', '-');
        return parts.Length >= 2 && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var major)
            && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var minor) && (major > 11 || (major == 11 && minor >= 1));
    }

    public static async Task<MySqlBackendConnection> ConnectAsync(AgentDatabase db, X509Certificate2 clientCertificate,
        HandshakeResponse41Summary client, string dbUser, string schema, CancellationToken ct, bool trackSchema = true,
        TimeSpan? statementTimeout = null, bool readOnly = false)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            try
            {
                await tcp.ConnectAsync(db.Host, db.Port, ct);
            }
            catch (SocketException e)
            {
                throw new DatabaseConnectException($"cannot reach database {db.Name} at {db.Host}:{db.Port}: {e.Message}", e);
            }
            var network = tcp.GetStream();
            var (_, greetingPayload) = await ReadAsync(network, db, ct);
            if (greetingPayload.Length > 0 && greetingPayload[0] == ErrPacket.Header)
            {
                throw Refused(db, greetingPayload);
            }
            var greeting = HandshakeV10.Read(new ReadOnlySequence<byte>(greetingPayload));
            var version = Encoding.UTF8.GetString(greeting.ServerVersion);
            if ((greeting.Capabilities & MySqlCapabilities.Ssl) == 0)
            {
                throw new DatabaseConnectException($"database {db.Name} at {db.Host}:{db.Port} does not offer TLS: configure ssl_cert, ssl_key and ssl_ca on the server");
            }
            var missing = client.Capabilities & EncodingCapabilities & ~greeting.Capabilities;
            if (missing != 0)
            {
                throw new DatabaseConnectException($"database {db.Name} ({version}) lacks protocol features the client chose ({missing}): Ferry needs MySQL 5.7+ or MariaDB 10.2+");
            }
            if ((greeting.Capabilities & MySqlCapabilities.SessionTrack) == 0)
            {
                throw new DatabaseConnectException($"database {db.Name} ({version}) does not offer session state tracking, which Ferry needs to follow the schema: Ferry needs MySQL 5.7+ or MariaDB 10.2+");
            }
            // Session tracking is asked for whatever the client chose: the agent strips it from OK packets for clients that did not.
            var caps = (client.Capabilities & greeting.Capabilities & ~NotForwarded)
                | MySqlCapabilities.SessionTrack | MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection | MySqlCapabilities.Ssl
                | (greeting.Capabilities & (MySqlCapabilities.PluginAuth | MySqlCapabilities.PluginAuthLenencClientData));
            if (schema.Length > 0)
            {
                caps |= MySqlCapabilities.ConnectWithDb;
            }

            var w = new ArrayBufferWriter<byte>(64);
            SslRequest.Write(w, 1, caps, client.MaxPacketSize, client.CharacterSet);
            await MySqlPacketStream.WriteFramedAsync(network, w, ct);
            var ssl = await DatabaseTls.StartAsync(network, db, clientCertificate, db.TrustedRoots(), ct);

            var plugin = greeting.AuthPluginName.IsEmpty ? "mysql_native_password"u8.ToArray() : greeting.AuthPluginName.ToArray();
            w.ResetWrittenCount();
            HandshakeResponse41.Write(w, 2, caps, client.MaxPacketSize, client.CharacterSet, Encoding.UTF8.GetBytes(dbUser), [],
                Encoding.UTF8.GetBytes(schema), plugin, []);
            await MySqlPacketStream.WriteFramedAsync(ssl, w, ct);
            var ok = await AuthenticateAsync(ssl, db, dbUser, ct);
            if (trackSchema)
            {
                await TrackSchemaAsync(ssl, db, SessionSetupStatement(version, statementTimeout, readOnly), ct);
            }
            return new MySqlBackendConnection(ssl, greeting.ConnectionId, version, caps, ok) { Collation = greeting.CharacterSet };
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Answers the server's auth exchange with an empty password until OK (returned) or ERR (thrown).</summary>
    private static async Task<byte[]> AuthenticateAsync(Stream ssl, AgentDatabase db, string dbUser, CancellationToken ct)
    {
        for (var round = 0; round < 4; round++)
        {
            var (seq, payload) = await ReadAsync(ssl, db, ct);
            if (payload.Length == 0)
            {
                break;
            }
            switch (payload[0])
            {
                case OkPacket.OkHeader:
                    return payload;
                case ErrPacket.Header:
                    throw Refused(db, payload);
                case AuthSwitchRequest.Header:
                    // An empty password is an empty answer for mysql_native_password and caching_sha2_password.
                    await MySqlPacketStream.WriteAsync(ssl, (byte)(seq + 1), ReadOnlyMemory<byte>.Empty, ct);
                    break;
                case AuthMoreData.Header when payload.Length == 2 && payload[1] == AuthMoreData.FastAuthSuccess:
                    // caching_sha2_password fast authentication succeeded: OK follows.
                    break;
                case AuthMoreData.Header when payload.Length == 2 && payload[1] == AuthMoreData.PerformFullAuthentication:
                    // Full authentication over TLS: the (empty) password, NUL-terminated.
                    await MySqlPacketStream.WriteAsync(ssl, (byte)(seq + 1), new byte[] { 0 }, ct);
                    break;
                default:
                    throw new DatabaseConnectException($"database {db.Name} asked for an authentication step Ferry does not perform (0x{payload[0]:x2}): create the user as `CREATE USER '{dbUser}'@'%' REQUIRE SUBJECT '/CN={dbUser}'` without a password");
            }
        }
        throw new DatabaseConnectException($"database {db.Name} did not finish the login of {dbUser}");
    }


    private static async Task TrackSchemaAsync(Stream ssl, AgentDatabase db, byte[] statement, CancellationToken ct)
    {
        var w = new ArrayBufferWriter<byte>(256);
        ComQuery.Write(w, statement);
        await MySqlPacketStream.WriteFramedAsync(ssl, w, ct);
        var (_, payload) = await ReadAsync(ssl, db, ct);
        if (payload.Length == 0 || payload[0] != OkPacket.OkHeader)
        {
            var why = payload.Length > 0 && payload[0] == ErrPacket.Header ? Refused(db, payload).Message : "no OK";
            throw new DatabaseConnectException($"database {db.Name} refused to turn on session state tracking (session_track_schema), which Ferry needs to follow the schema, or the settings the roles pin (statement_timeout, read_only): {why}");
        }
    }

    private static async Task<(byte, byte[])> ReadAsync(Stream stream, AgentDatabase db, CancellationToken ct)
    {
        try
        {
            return await MySqlPacketStream.ReadAsync(stream, MySqlLimits.MaxPreAuthPayloadLength, ct)
                ?? throw new DatabaseConnectException($"database {db.Name} closed the connection during the login");
        }
        catch (MySqlProtocolException e)
        {
            throw new DatabaseConnectException($"database {db.Name} sent a malformed login packet: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DatabaseConnectException($"database {db.Name} closed the connection during the login", e);
        }
    }

    private static MySqlServerRefusedException Refused(AgentDatabase db, byte[] payload)
    {
        string text;
        try
        {
            var err = ErrPacket.Read(new ReadOnlySequence<byte>(payload));
            text = $"{err.ErrorCode} {Encoding.UTF8.GetString(err.Message)}";
        }
        catch (MySqlProtocolException)
        {
            text = "malformed ERR packet";
        }
        return new MySqlServerRefusedException($"database {db.Name} refused the login: {text}", payload);
    }

    /// <summary>
    /// The health probe with a <c>health_check_user</c>: a full certificate login, then COM_QUIT, then waits for the server to
    /// close, so the server sees an orderly session end (MariaDB logs an "Aborted connection" for any close before the login
    /// finishes, whatever the client sends). Returns the server version and collation; throws when the login fails.
    /// </summary>
    public static async Task<(string Version, byte Collation)> ProbeLoginAsync(AgentDatabase db, X509Certificate2 certificate, string dbUser, CancellationToken ct)
    {
        var client = new HandshakeResponse41Summary(MySqlCapabilities.Protocol41 | MySqlCapabilities.Transactions, 16 * 1024 * 1024, 45, dbUser, "", "");
        var connection = await ConnectAsync(db, certificate, client, dbUser, "", ct, trackSchema: false);
        await using (connection.Stream)
        {
            await MySqlPacketStream.WriteAsync(connection.Stream, 0, new byte[] { (byte)CommandCode.Quit }, ct);
            // The server answers COM_QUIT by closing: read to the end (bounded) so the TCP close is the server's.
            var buffer = new byte[256];
            for (var i = 0; i < 64 && await connection.Stream.ReadAsync(buffer, ct) > 0; i++)
            {
            }
        }
        return (connection.ServerVersion, connection.Collation);
    }

    /// <summary>Reads a server greeting's version and default collation without logging in (for the heartbeat); null when unreachable.</summary>
    public static async Task<(string Version, byte Collation)?> ProbeVersionAsync(AgentDatabase db, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(db.Host, db.Port, cts.Token);
            var packet = await MySqlPacketStream.ReadAsync(tcp.GetStream(), MySqlLimits.MaxPreAuthPayloadLength, cts.Token);
            if (packet is not { } p || p.Payload.Length == 0 || p.Payload[0] != 10)
            {
                return null;
            }
            var greeting = HandshakeV10.Read(new ReadOnlySequence<byte>(p.Payload));
            return (Encoding.UTF8.GetString(greeting.ServerVersion), greeting.CharacterSet);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or MySqlProtocolException or EndOfStreamException)
        {
            return null;
        }
    }
}
