using System.Buffers;
using System.Net.Sockets;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Client;

/// <summary>
/// Local PostgreSQL endpoint. The local client speaks plain text: its SSLRequest/GSSENCRequest are answered 'N';
/// its first real message (StartupMessage or CancelRequest) is carried upstream after this side sent the proxy an
/// SSLRequest, read 'S', and finished TLS with the routed certificate.
/// The first packets are classified by the PostgreSQL codec's startup header reader.
/// </summary>
public sealed class PostgresLocalProxy(RoutedCertificateSource certificates, ServerTrust upstreamTrust, ProxyAddress upstream, int port, Action<string>? log = null)
    : LocalProxyServer(certificates, upstreamTrust, upstream, port, log)
{
    protected override async Task HandleAsync(NetworkStream local, CancellationToken ct)
    {
        var head = new byte[StartupPacketHeader.Size];
        for (var round = 0; ; round++)
        {
            if (!await ReadExactlyOrEofAsync(local, head, ct).ConfigureAwait(false))
            {
                return;
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
                return;
            }

            if (header.Kind is StartupPacketKind.SslRequest or StartupPacketKind.GssEncRequest && round < 2)
            {
                // This side is plain text by design (127.0.0.1 only); TLS starts at the proxy hop.
                await local.WriteAsync(EncryptionRequest.Refuse.ToArray(), ct).ConfigureAwait(false);
                continue;
            }

            break;
        }

        await using var upstream = await ConnectUpstreamAsync(NegotiateTlsAsync, alpn: null, ct).ConfigureAwait(false);
        await upstream.WriteAsync(head, ct).ConfigureAwait(false);
        await RelayAsync(local, upstream, ct).ConfigureAwait(false);
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

    internal static byte[] ErrorResponse(string message)
    {
        var w = new ArrayBufferWriter<byte>(64 + message.Length);
        Protocol.Postgres.Backend.ErrorResponse.Write(w, "FATAL", "08006", message);
        return w.WrittenSpan.ToArray();
    }

    private static async Task<bool> ReadExactlyOrEofAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
