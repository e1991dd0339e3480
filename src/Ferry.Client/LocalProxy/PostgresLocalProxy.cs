using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Ferry.Client;

/// <summary>
/// Local PostgreSQL endpoint. The local client speaks plain text: its SSLRequest/GSSENCRequest are answered 'N';
/// its first real message (StartupMessage or CancelRequest) is carried upstream after this side sent the proxy an
/// SSLRequest, read 'S', and finished TLS with the routed certificate.
/// <code>
/// SSLRequest / GSSENCRequest / CancelRequest:  int32 length | int32 code (80877103 / 80877104 / 80877102) [| pid | key]
/// </code>
/// </summary>
public sealed class PostgresLocalProxy(RoutedCertificateSource certificates, ServerTrust upstreamTrust, ProxyAddress upstream, int port, Action<string>? log = null)
    : LocalProxyServer(certificates, upstreamTrust, upstream, port, log)
{
    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;

    private static ReadOnlySpan<byte> SslRequest => [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

    protected override async Task HandleAsync(NetworkStream local, CancellationToken ct)
    {
        var head = new byte[8];
        for (var round = 0; ; round++)
        {
            if (!await ReadExactlyOrEofAsync(local, head, ct).ConfigureAwait(false))
            {
                return;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(head);
            var code = BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(4));
            if (length == 8 && code is SslRequestCode or GssEncRequestCode && round < 2)
            {
                // This side is plain text by design (127.0.0.1 only); TLS starts at the proxy hop.
                await local.WriteAsync("N"u8.ToArray(), ct).ConfigureAwait(false);
                continue;
            }

            if (length is < 8 or > 10_000)
            {
                return; // not PostgreSQL
            }

            break;
        }

        await using var upstream = await ConnectUpstreamAsync(NegotiateTlsAsync, alpn: null, ct).ConfigureAwait(false);
        await upstream.WriteAsync(head, ct).ConfigureAwait(false);
        await RelayAsync(local, upstream, ct).ConfigureAwait(false);
    }

    private async Task NegotiateTlsAsync(NetworkStream network, CancellationToken ct)
    {
        await network.WriteAsync(SslRequest.ToArray(), ct).ConfigureAwait(false);
        var answer = new byte[1];
        if (!await ReadExactlyOrEofAsync(network, answer, ct).ConfigureAwait(false) || answer[0] != (byte)'S')
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
        var fields = new List<byte>();
        void Field(char type, string value)
        {
            fields.Add((byte)type);
            fields.AddRange(Encoding.UTF8.GetBytes(value));
            fields.Add(0);
        }

        Field('S', "FATAL");
        Field('V', "FATAL");
        Field('C', "08006");
        Field('M', message);
        fields.Add(0);
        var frame = new byte[1 + 4 + fields.Count];
        frame[0] = (byte)'E';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + fields.Count); // length + fields
        fields.CopyTo(frame, 5);
        return frame;
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
