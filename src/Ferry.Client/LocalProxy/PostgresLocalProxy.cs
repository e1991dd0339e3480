using System.Buffers;
using System.Net.Sockets;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Client;

/// <summary>
/// Local PostgreSQL endpoint. The local client speaks plain text: its SSLRequest/GSSENCRequest are answered 'N'.
/// When the endpoint has a secret, a StartupMessage is answered with AuthenticationCleartextPassword (the password
/// stays on this machine's loopback or socket) and a wrong password with FATAL 28P01; the proxy's AuthenticationOk
/// then ends the client's authentication. The StartupMessage (or a CancelRequest, whose key is its own secret) is
/// carried upstream after this side sent the proxy an SSLRequest, read 'S', and finished TLS with the routed certificate.
/// The first packets are classified by the PostgreSQL codec's startup header reader.
/// </summary>
public sealed class PostgresLocalProxy(RoutedCertificateSource certificates, ServerTrust upstreamTrust, ProxyAddress upstream, LocalProxyEndpoint endpoint, Action<string>? log = null)
    : LocalProxyServer(certificates, upstreamTrust, upstream, endpoint, log)
{
    /// <summary>The longest PasswordMessage taken (the secret is 32 bytes; drivers add nothing).</summary>
    private const int MaxPasswordMessage = 1024;

    /// <summary>AuthenticationCleartextPassword: 'R', length 8, code 3.</summary>
    private static ReadOnlySpan<byte> CleartextPasswordRequest => [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 3];

    protected override async Task HandleAsync(NetworkStream local, Action authenticated, CancellationToken ct)
    {
        byte[] head;
        byte[] body;
        using (var deadline = AuthenticationDeadline(ct))
        {
            var first = await ReadStartupAsync(local, deadline.Token).ConfigureAwait(false);
            if (first is null)
            {
                return;
            }

            (head, body) = first.Value;
            var kind = StartupPacketHeader.Parse(head).Kind;
            if (RequiresPassword && kind != StartupPacketKind.CancelRequest)
            {
                // A CancelRequest carries its own secret (the key of the session it cancels); anything else must log in.
                if (kind != StartupPacketKind.StartupMessage)
                {
                    await WriteAsync(local, ErrorResponse("08P01", "expected a startup message"), ct).ConfigureAwait(false);
                    return;
                }

                if (!await AuthenticateAsync(local, body, deadline.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }

        authenticated();
        await using var upstream = await ConnectUpstreamAsync(NegotiateTlsAsync, alpn: null, ct).ConfigureAwait(false);
        await upstream.WriteAsync(head, ct).ConfigureAwait(false);
        await upstream.WriteAsync(body, ct).ConfigureAwait(false);
        await RelayAsync(local, upstream, ct).ConfigureAwait(false);
    }

    /// <summary>The first real packet (header, body) after any SSLRequest/GSSENCRequest, or null when the client was answered or left.</summary>
    private static async Task<(byte[] Head, byte[] Body)?> ReadStartupAsync(NetworkStream local, CancellationToken ct)
    {
        var head = new byte[StartupPacketHeader.Size];
        for (var round = 0; ; round++)
        {
            if (!await ReadExactlyOrEofAsync(local, head, ct).ConfigureAwait(false))
            {
                return null;
            }

            StartupPacketHeader header;
            try
            {
                header = StartupPacketHeader.Parse(head);
            }
            catch (PostgresProtocolException e)
            {
                // Not PostgreSQL, or a version nobody serves: say so rather than carry it upstream.
                await FatalError.WriteAsync(local, e.SqlState, e.Message).ConfigureAwait(false);
                return null;
            }

            if (header.Kind is StartupPacketKind.SslRequest or StartupPacketKind.GssEncRequest && round < 2)
            {
                // This side is plain text by design (loopback or a private socket); TLS starts at the proxy hop.
                await local.WriteAsync(EncryptionRequest.Refuse.ToArray(), ct).ConfigureAwait(false);
                continue;
            }

            // Parse bounded the length (MaxStartupPacketLength) before this buffer is made.
            var body = new byte[header.Length - StartupPacketHeader.Size];
            return await ReadExactlyOrEofAsync(local, body, ct).ConfigureAwait(false) ? (head, body) : null;
        }
    }

    /// <summary>Asks for the password and checks it: true to go on; false after a FATAL 28P01 (or when the client left).</summary>
    private async Task<bool> AuthenticateAsync(NetworkStream local, byte[] startupBody, CancellationToken ct)
    {
        var user = UserOf(startupBody);
        await local.WriteAsync(CleartextPasswordRequest.ToArray(), ct).ConfigureAwait(false);
        var frameHead = new byte[5];
        if (!await ReadExactlyOrEofAsync(local, frameHead, ct).ConfigureAwait(false))
        {
            return false; // psql asks for a password after this and connects again
        }

        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frameHead.AsSpan(1));
        if (frameHead[0] != (byte)Protocol.Postgres.Frontend.FrontendMessageCode.PasswordMessage || length is < 5 or > MaxPasswordMessage)
        {
            CheckPassword([], user);
            await WriteAsync(local, ErrorResponse("28P01", $"password authentication failed for user \"{user}\": expected a password message"), ct).ConfigureAwait(false);
            return false;
        }

        var frame = new byte[1 + length];
        frameHead.CopyTo(frame, 0);
        if (!await ReadExactlyOrEofAsync(local, frame.AsMemory(5), ct).ConfigureAwait(false))
        {
            return false;
        }

        byte[] password;
        try
        {
            password = PasswordMessage.Read(new PostgresFrame(frame[0], new ReadOnlySequence<byte>(frame))).ToArray();
        }
        catch (PostgresProtocolException)
        {
            password = [];
        }

        if (CheckPassword(password, user))
        {
            return true;
        }

        await WriteAsync(local, ErrorResponse("28P01", $"password authentication failed for user \"{user}\": ferry proxy db takes the password it printed when it started"), ct).ConfigureAwait(false);
        return false;
    }

    /// <summary>The <c>user</c> parameter of a StartupMessage body (pairs of NUL-terminated strings), for messages only.</summary>
    private static string UserOf(byte[] body)
    {
        var fields = System.Text.Encoding.UTF8.GetString(body).Split('\0');
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            if (fields[i] == "user")
            {
                return fields[i + 1];
            }
        }

        return "";
    }

    private static async Task WriteAsync(NetworkStream local, byte[] bytes, CancellationToken ct)
    {
        try
        {
            await local.WriteAsync(bytes, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client is gone.
        }
    }

    private async Task NegotiateTlsAsync(NetworkStream network, CancellationToken ct)
    {
        await network.WriteAsync(EncryptionRequest.SslRequest.ToArray(), ct).ConfigureAwait(false);
        var answer = new byte[1];
        if (!await ReadExactlyOrEofAsync(network, answer, ct).ConfigureAwait(false) || answer[0] != EncryptionRequest.Accept[0])
        {
            throw new FerryClientException($"the Ferry proxy at {Upstream} refused TLS for PostgreSQL: is {Upstream} the proxy's PostgreSQL/web port?");
        }
    }

    /// <summary>A FATAL ErrorResponse ('E', severity, SQLSTATE 08006, message) so GUI clients show the reason.</summary>
    protected override async Task RefuseAsync(NetworkStream local, string message, CancellationToken ct)
    {
        try
        {
            await local.WriteAsync(ErrorResponse("ferry: " + message), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone.
        }
    }

    internal static byte[] ErrorResponse(string message) => ErrorResponse("08006", message);

    internal static byte[] ErrorResponse(string sqlState, string message)
    {
        var w = new ArrayBufferWriter<byte>(64 + message.Length);
        Protocol.Postgres.Backend.ErrorResponse.Write(w, "FATAL", sqlState, message);
        return w.WrittenSpan.ToArray();
    }

    private static Task<bool> ReadExactlyOrEofAsync(Stream stream, byte[] buffer, CancellationToken ct) =>
        ReadExactlyOrEofAsync(stream, buffer.AsMemory(), ct);

    private static async Task<bool> ReadExactlyOrEofAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
