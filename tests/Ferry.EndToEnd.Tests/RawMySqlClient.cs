using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;

namespace Ferry.EndToEnd.Tests;

/// <summary>
/// A bare MySQL client built on Ferry's codec, for what real clients never send: COM_CHANGE_USER on
/// demand, malformed packets. Greeting, SSLRequest, TLS with a client certificate, HandshakeResponse41.
/// </summary>
internal sealed class RawMySqlClient : IAsyncDisposable
{
    private const MySqlCapabilities Caps = MySqlCapabilities.LongPassword | MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection
        | MySqlCapabilities.PluginAuth | MySqlCapabilities.Transactions | MySqlCapabilities.MultiResults | MySqlCapabilities.ConnectWithDb
        | MySqlCapabilities.DeprecateEof;

    private readonly TcpClient _tcp;
    private readonly SslStream _ssl;

    private RawMySqlClient(TcpClient tcp, SslStream ssl, uint connectionId, string serverVersion)
    {
        _tcp = tcp;
        _ssl = ssl;
        ConnectionId = connectionId;
        ServerVersion = serverVersion;
    }

    public uint ConnectionId { get; }

    /// <summary>The plugin and nonce of the AuthSwitchRequest the proxy sent, if it sent one.</summary>
    public (string Plugin, byte[] Data)? SwitchedTo { get; private set; }

    public string ServerVersion { get; }

    public static async Task<RawMySqlClient> ConnectAsync(int port, X509Certificate2 certificate, string user, string schema, CancellationToken ct,
        string authPlugin = "mysql_native_password", byte[]? authResponse = null)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, ct);
        var net = tcp.GetStream();
        var greetingPacket = await MySqlPacketStream.ReadAsync(net, 1 << 20, ct) ?? throw new IOException("no greeting");
        var greeting = HandshakeV10.Read(new ReadOnlySequence<byte>(greetingPacket.Payload));
        var w = new ArrayBufferWriter<byte>();
        SslRequest.Write(w, 1, Caps, 1 << 24, 45);
        await MySqlPacketStream.WriteFramedAsync(net, w, ct);
        var ssl = new SslStream(net);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = [certificate],
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        }, ct);
        w.ResetWrittenCount();
        HandshakeResponse41.Write(w, 2, Caps, 1 << 24, 45, System.Text.Encoding.UTF8.GetBytes(user), authResponse ?? [], System.Text.Encoding.UTF8.GetBytes(schema),
            System.Text.Encoding.ASCII.GetBytes(authPlugin), []);
        await MySqlPacketStream.WriteFramedAsync(ssl, w, ct);
        var client = new RawMySqlClient(tcp, ssl, greeting.ConnectionId, System.Text.Encoding.UTF8.GetString(greeting.ServerVersion.ToArray()));
        var answer = await client.ReadAsync(ct) ?? throw new IOException("closed after the handshake");
        if (answer.Payload[0] == AuthSwitchRequest.Header)
        {
            var request = AuthSwitchRequest.Read(new ReadOnlySequence<byte>(answer.Payload));
            client.SwitchedTo = (System.Text.Encoding.ASCII.GetString(request.PluginName.ToArray()), request.PluginData.ToArray());
            // Any scramble: the password is not what Ferry checks.
            await MySqlPacketStream.WriteAsync(ssl, (byte)(answer.SequenceId + 1), new byte[20], ct);
            answer = await client.ReadAsync(ct) ?? throw new IOException("closed after the auth switch");
        }
        if (answer.Payload[0] != 0)
        {
            throw new IOException("login refused: " + System.Text.Encoding.UTF8.GetString(answer.Payload));
        }
        return client;
    }

    /// <summary>
    /// Connects the way Ferry's local proxy does: TLS on the proxy's main port with ALPN <c>ferry-mysql</c>,
    /// then the MySQL greeting inside TLS and a HandshakeResponse41 without SSLRequest.
    /// </summary>
    public static async Task<RawMySqlClient> ConnectAlpnAsync(int port, X509Certificate2 certificate, string user, string schema, CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, ct);
        var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [new SslApplicationProtocol("ferry-mysql")],
            ClientCertificates = [certificate],
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        }, ct);
        var greetingPacket = await MySqlPacketStream.ReadAsync(ssl, 1 << 20, ct) ?? throw new IOException("no greeting");
        var greeting = HandshakeV10.Read(new ReadOnlySequence<byte>(greetingPacket.Payload));
        var w = new ArrayBufferWriter<byte>();
        HandshakeResponse41.Write(w, 1, Caps, 1 << 24, 45, System.Text.Encoding.UTF8.GetBytes(user), [], System.Text.Encoding.UTF8.GetBytes(schema), "mysql_native_password"u8, []);
        await MySqlPacketStream.WriteFramedAsync(ssl, w, ct);
        var client = new RawMySqlClient(tcp, ssl, greeting.ConnectionId, System.Text.Encoding.UTF8.GetString(greeting.ServerVersion.ToArray()))
        {
            GreetingCapabilities = greeting.Capabilities,
        };
        var answer = await client.ReadAsync(ct) ?? throw new IOException("closed after the handshake");
        if (answer.Payload[0] != 0)
        {
            throw new IOException("login refused: " + System.Text.Encoding.UTF8.GetString(answer.Payload));
        }
        return client;
    }

    public MySqlCapabilities GreetingCapabilities { get; private init; }

    /// <summary>Sends a COM_QUERY and returns the first column of every row of its (single) result set, as text.</summary>
    public async Task<List<string>> QueryAsync(string sql, CancellationToken ct)
    {
        await SendQueryAsync(sql, ct);
        return await ReadRowsAsync(ct);
    }

    /// <summary>The first column of every row of a (single) result set, as text; an ERR packet throws with its message.</summary>
    public async Task<List<string>> ReadRowsAsync(CancellationToken ct)
    {
        var first = await ReadAsync(ct) ?? throw new IOException("closed");
        if (first.Payload[0] == 0xFF)
        {
            throw new IOException(System.Text.Encoding.UTF8.GetString(first.Payload.AsSpan(9)));
        }
        if (first.Payload[0] == 0x00)
        {
            return []; // OK: a statement without a result set
        }
        int columns = first.Payload[0];
        for (var i = 0; i < columns; i++)
        {
            await ReadAsync(ct);
        }
        var rows = new List<string>();
        while (true)
        {
            var packet = await ReadAsync(ct) ?? throw new IOException("closed");
            if (packet.Payload[0] == 0xFE && packet.Payload.Length < 0xFFFFFF)
            {
                return rows;
            }
            var length = packet.Payload[0];
            rows.Add(System.Text.Encoding.UTF8.GetString(packet.Payload, 1, length));
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> framed, CancellationToken ct)
    {
        await _ssl.WriteAsync(framed, ct);
        await _ssl.FlushAsync(ct);
    }

    public async Task SendCommandAsync(ReadOnlyMemory<byte> payload, CancellationToken ct) => await MySqlPacketStream.WriteAsync(_ssl, 0, payload, ct);

    public async Task SendQueryAsync(string sql, CancellationToken ct)
    {
        var w = new ArrayBufferWriter<byte>();
        ComQuery.Write(w, System.Text.Encoding.UTF8.GetBytes(sql));
        await SendAsync(w.WrittenMemory, ct);
    }

    /// <summary>The next packet, or null when the connection was closed.</summary>
    public async Task<(byte SequenceId, byte[] Payload)?> ReadAsync(CancellationToken ct)
    {
        try
        {
            return await MySqlPacketStream.ReadAsync(_ssl, 1 << 24, ct);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _ssl.DisposeAsync();
        _tcp.Dispose();
    }
}
