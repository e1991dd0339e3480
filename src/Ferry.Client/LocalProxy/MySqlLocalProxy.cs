using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Auth;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Client;

/// <summary>
/// Local MySQL endpoint: each plain local connection is carried over TLS with ALPN <c>ferry-mysql</c> on the proxy's
/// main port, where the proxy speaks MySQL (greeting first) inside the TLS session it already authenticated with
/// the routed certificate. When the endpoint has a secret, the client's mysql_native_password answer to the
/// greeting's nonce is checked against it here (a client that chose another plugin is first switched to
/// mysql_native_password, as the proxy itself does) before its handshake response goes upstream; a wrong one gets
/// ERR 1045. Then bytes are relayed unchanged.
/// </summary>
public sealed class MySqlLocalProxy(RoutedCertificateSource certificates, ServerTrust upstreamTrust, ProxyAddress upstream, LocalProxyEndpoint endpoint, Action<string>? log = null)
    : LocalProxyServer(certificates, upstreamTrust, upstream, endpoint, log)
{
    public const string Alpn = Contracts.Alpn.MySql;

    /// <summary>ER_ACCESS_DENIED_ERROR.</summary>
    private const ushort AccessDenied = 1045;

    /// <summary>ER_HANDSHAKE_ERROR.</summary>
    private const ushort HandshakeError = 1043;

    protected override async Task HandleAsync(NetworkStream local, Action authenticated, CancellationToken ct)
    {
        await using var upstream = await ConnectUpstreamAsync(preamble: null, Alpn, ct).ConfigureAwait(false);
        if (RequiresPassword)
        {
            using var deadline = AuthenticationDeadline(ct);
            if (!await AuthenticateAsync(local, upstream, deadline.Token).ConfigureAwait(false))
            {
                return;
            }
        }

        authenticated();
        await RelayAsync(local, upstream, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Relays the greeting, checks the client's password, then hands the handshake (and the plugin switch, when one
    /// was needed) to the proxy. False when the client was refused or left: nothing of it went upstream.
    /// </summary>
    private async Task<bool> AuthenticateAsync(NetworkStream local, SslStream upstream, CancellationToken ct)
    {
        if (await MySqlPacketStream.ReadAsync(upstream, MySqlLimits.MaxPreAuthPayloadLength, ct).ConfigureAwait(false) is not var (greetingSeq, greeting))
        {
            return false;
        }

        var nonce = Nonce(greeting);

        await MySqlPacketStream.WriteAsync(local, greetingSeq, greeting, ct).ConfigureAwait(false);
        if (await ReadAsync(local, ct).ConfigureAwait(false) is not var (seq, payload))
        {
            return false;
        }

        var caps = MySqlCapabilities.Protocol41;
        HandshakeResponse41 response;
        try
        {
            if (SslRequest.IsSslRequest(new ReadOnlySequence<byte>(payload)))
            {
                throw new MySqlProtocolException("TLS was asked for on the local plain-text hop: connect with --skip-ssl (MySQL: --ssl-mode=DISABLED, drivers: SslMode=None)");
            }

            caps = HandshakeResponse41.PeekCapabilities(new ReadOnlySequence<byte>(payload));
            response = HandshakeResponse41.Read(new ReadOnlySequence<byte>(payload));
        }
        catch (MySqlProtocolException e)
        {
            await ErrAsync(local, (byte)(seq + 1), caps, HandshakeError, "08S01", "ferry proxy: bad handshake: " + e.Message, ct).ConfigureAwait(false);
            return false;
        }

        var user = System.Text.Encoding.UTF8.GetString(response.User.ToArray());
        byte[] answer = response.AuthResponse.ToArray();
        byte[]? switchAnswer = null;
        var next = (byte)(seq + 1);
        var plugin = System.Text.Encoding.ASCII.GetString(response.AuthPluginName.ToArray());
        var switched = (response.Capabilities & MySqlCapabilities.PluginAuth) != 0 && plugin.Length > 0 && plugin != MySqlScramble.NativePasswordPlugin;
        if (switched)
        {
            // The proxy switches such a client to mysql_native_password with the same nonce; do it first, here.
            var w = new ArrayBufferWriter<byte>(64);
            AuthSwitchRequest.Write(w, next, System.Text.Encoding.ASCII.GetBytes(MySqlScramble.NativePasswordPlugin), [.. nonce, 0]);
            await MySqlPacketStream.WriteFramedAsync(local, w, ct).ConfigureAwait(false);
            if (await ReadAsync(local, ct).ConfigureAwait(false) is not var (answerSeq, answerPayload))
            {
                return false;
            }

            switchAnswer = answerPayload;
            answer = answerPayload;
            next = (byte)(answerSeq + 1);
        }

        var expected = new byte[20];
        var written = MySqlScramble.NativePassword(Secret, nonce, expected);
        if (!Admit(written > 0 && CryptographicOperations.FixedTimeEquals(answer, expected.AsSpan(0, written)), answer.Length > 0, user))
        {
            await ErrAsync(local, next, response.Capabilities, AccessDenied, "28000",
                $"Access denied for user '{user}' (using password: {(answer.Length > 0 ? "YES" : "NO")}): ferry proxy db takes the password it printed when it started", ct).ConfigureAwait(false);
            return false;
        }

        // Authenticated: the proxy gets the handshake as the client sent it, and the same switch answer.
        await MySqlPacketStream.WriteAsync(upstream, seq, payload, ct).ConfigureAwait(false);
        if (switchAnswer is not null)
        {
            if (await MySqlPacketStream.ReadAsync(upstream, MySqlLimits.MaxPreAuthPayloadLength, ct).ConfigureAwait(false) is not var (upSeq, upPayload))
            {
                return false;
            }

            if (upPayload.Length > 0 && upPayload[0] == AuthSwitchRequest.Header)
            {
                await MySqlPacketStream.WriteAsync(upstream, (byte)(upSeq + 1), switchAnswer, ct).ConfigureAwait(false);
            }
            else
            {
                // The proxy answered at once (an error): pass it on in the sequence the client expects.
                await MySqlPacketStream.WriteAsync(local, next, upPayload, ct).ConfigureAwait(false);
            }
        }

        return true;
    }

    /// <summary>The greeting's 20-byte nonce (without the trailing NUL of part 2).</summary>
    private byte[] Nonce(byte[] greeting)
    {
        try
        {
            var handshake = HandshakeV10.Read(new ReadOnlySequence<byte>(greeting));
            var all = new byte[Math.Max(handshake.ScrambleByteCount, HandshakeV10.ScrambleLength)];
            if (handshake.CopyScrambleTo(all) < HandshakeV10.ScrambleLength)
            {
                throw new MySqlProtocolException($"a {handshake.ScrambleByteCount}-byte nonce");
            }

            return all[..HandshakeV10.ScrambleLength];
        }
        catch (MySqlProtocolException e)
        {
            throw new FerryClientException($"the Ferry proxy at {Upstream} sent a greeting this client cannot read ({e.Message})", e);
        }
    }

    private static async Task<(byte SequenceId, byte[] Payload)?> ReadAsync(Stream stream, CancellationToken ct)
    {
        try
        {
            return await MySqlPacketStream.ReadAsync(stream, MySqlLimits.MaxPreAuthPayloadLength, ct).ConfigureAwait(false);
        }
        catch (MySqlProtocolException)
        {
            return null;
        }
    }

    private static async Task ErrAsync(Stream local, byte sequenceId, MySqlCapabilities caps, ushort code, string sqlState, string message, CancellationToken ct)
    {
        var w = new ArrayBufferWriter<byte>(256);
        ErrPacket.Write(w, sequenceId, caps | MySqlCapabilities.Protocol41, code, sqlState, message);
        try
        {
            await MySqlPacketStream.WriteFramedAsync(local, w, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client is gone.
        }
    }
}
