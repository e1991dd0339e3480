using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// A bare PostgreSQL client for what libpq and Npgsql never send: a StartupMessage without <c>user</c>,
/// garbage first bytes, CancelRequests with a chosen key. SSLRequest, TLS with a client certificate,
/// StartupMessage with exactly the given parameters, simple queries.
/// </summary>
internal sealed class RawPostgres : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _ssl;

    private RawPostgres(TcpClient tcp, SslStream ssl)
    {
        _tcp = tcp;
        _ssl = ssl;
    }

    public int ProcessId { get; private set; }

    public byte[] SecretKey { get; private set; } = [];

    /// <summary>The ErrorResponse of the start-up ("SQLSTATE: message"), or null when it reached ReadyForQuery.</summary>
    public string? StartupError { get; private set; }

    public static async Task<RawPostgres> StartAsync(int port, X509Certificate2 certificate, IEnumerable<(string Name, string Value)> parameters, CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
        var net = tcp.GetStream();
        await net.WriteAsync(new byte[] { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f }, ct);
        var answer = new byte[1];
        await net.ReadExactlyAsync(answer, ct);
        if (answer[0] != (byte)'S')
        {
            throw new IOException($"SSLRequest answered {(char)answer[0]}");
        }
        var ssl = new SslStream(net);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = [certificate],
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        }, ct);
        var body = new MemoryStream();
        body.Write([0, 3, 0, 0]);
        foreach (var (name, value) in parameters)
        {
            body.Write(Encoding.UTF8.GetBytes(name));
            body.WriteByte(0);
            body.Write(Encoding.UTF8.GetBytes(value));
            body.WriteByte(0);
        }
        body.WriteByte(0);
        var startup = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(startup, startup.Length);
        body.ToArray().CopyTo(startup, 4);
        await ssl.WriteAsync(startup, ct);
        await ssl.FlushAsync(ct);
        var client = new RawPostgres(tcp, ssl);
        while (true)
        {
            var (type, payload) = await client.ReadMessageAsync(ct);
            switch (type)
            {
                case 'K':
                    client.ProcessId = BinaryPrimitives.ReadInt32BigEndian(payload);
                    client.SecretKey = payload[4..];
                    break;
                case 'E':
                    client.StartupError = ErrorText(payload);
                    return client;
                case 'Z':
                    return client;
            }
        }
    }

    /// <summary>Runs a simple query; returns the first column of the first row, or throws with the error text.</summary>
    public async Task<string?> ScalarAsync(string sql, CancellationToken ct)
    {
        var text = Encoding.UTF8.GetBytes(sql);
        var message = new byte[1 + 4 + text.Length + 1];
        message[0] = (byte)'Q';
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + text.Length + 1);
        text.CopyTo(message, 5);
        await _ssl.WriteAsync(message, ct);
        await _ssl.FlushAsync(ct);
        string? value = null;
        string? error = null;
        while (true)
        {
            var (type, payload) = await ReadMessageAsync(ct);
            if (type == 'D' && value is null)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(2));
                value = length < 0 ? null : Encoding.UTF8.GetString(payload, 6, length);
            }
            else if (type == 'E')
            {
                error = ErrorText(payload);
            }
            else if (type == 'Z')
            {
                return error is null ? value : throw new IOException(error);
            }
        }
    }

    private async Task<(char Type, byte[] Payload)> ReadMessageAsync(CancellationToken ct)
    {
        var header = new byte[5];
        await _ssl.ReadExactlyAsync(header, ct);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4];
        await _ssl.ReadExactlyAsync(payload, ct);
        return ((char)header[0], payload);
    }

    /// <summary>"SQLSTATE: message" of an ErrorResponse payload.</summary>
    public static string ErrorText(byte[] payload)
    {
        string code = "", message = "";
        var i = 0;
        while (i < payload.Length && payload[i] != 0)
        {
            var field = (char)payload[i++];
            var end = Array.IndexOf(payload, (byte)0, i);
            var value = Encoding.UTF8.GetString(payload, i, end - i);
            i = end + 1;
            if (field == 'C')
            {
                code = value;
            }
            else if (field == 'M')
            {
                message = value;
            }
        }
        return $"{code}: {message}";
    }

    /// <summary>Sends a plain-TCP CancelRequest and waits for the proxy to close the connection.</summary>
    public static async Task CancelAsync(int port, int processId, byte[] secret, CancellationToken ct)
    {
        var packet = new byte[8 + 4 + secret.Length];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), 80877102);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), processId);
        secret.CopyTo(packet, 12);
        await SendRawAsync(port, packet, ct);
    }

    /// <summary>Sends <paramref name="bytes"/> on a new plain connection and returns everything the other side wrote until it closed.</summary>
    public static async Task<byte[]> SendRawAsync(int port, byte[] bytes, CancellationToken ct, IPAddress? from = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }
        await socket.ConnectAsync(IPAddress.Loopback, port, ct);
        await socket.SendAsync(bytes, SocketFlags.None, ct);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // A reset after the answer: what was read is the answer.
        }
        return received.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _ssl.DisposeAsync();
        _tcp.Dispose();
    }
}
