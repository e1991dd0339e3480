using System.Buffers;
using System.Globalization;
using System.Text;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Auth;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Wire.MySql;

/// <summary>
/// A minimal MySQL/MariaDB client on the Ferry codec: the greeting, an optional TLS upgrade (SSLRequest), a
/// HandshakeResponse41 (see <see cref="MySqlStartup"/> for the logins it does), then COM_QUERY with text result sets.
/// </summary>
public sealed class MySqlWireClient : IAsyncDisposable
{
    private const MySqlCapabilities ClientCapabilities =
        MySqlCapabilities.LongPassword | MySqlCapabilities.LongFlag | MySqlCapabilities.Protocol41 | MySqlCapabilities.Transactions
        | MySqlCapabilities.SecureConnection | MySqlCapabilities.MultiStatements | MySqlCapabilities.MultiResults
        | MySqlCapabilities.PluginAuth;

    /// <summary>utf8mb4_general_ci.</summary>
    private const byte Utf8Mb4 = 45;

    private const int MaxColumns = 4096;

    private readonly Stream _raw;
    private readonly Stream _stream;
    private readonly ArrayBufferWriter<byte> _out = new(256);

    private MySqlWireClient(Stream raw, Stream stream, uint connectionId, MySqlCapabilities capabilities)
    {
        _raw = raw;
        _stream = stream;
        ConnectionId = connectionId;
        Capabilities = capabilities;
    }

    /// <summary>The id of the greeting (through Ferry, the id the agent maps to the server's thread for KILL QUERY).</summary>
    public uint ConnectionId { get; }

    public MySqlCapabilities Capabilities { get; }

    /// <summary>The message of an error that ended the session (1927 killed, 1053 shutdown).</summary>
    public string? LastFatalMessage { get; private set; }

    /// <summary>
    /// Logs in on <paramref name="connection"/>. With <paramref name="upgradeTls"/>, asks for TLS after the greeting and
    /// continues on the stream it returns (when the server offers no TLS: an error if <paramref name="tlsRequired"/>,
    /// else plain). A refusal throws <see cref="WireException"/> with the server's message.
    /// </summary>
    public static async Task<MySqlWireClient> ConnectAsync(Stream connection, MySqlStartup startup, Func<Stream, CancellationToken, Task<Stream>>? upgradeTls, CancellationToken ct, bool tlsRequired = true)
    {
        ArgumentNullException.ThrowIfNull(startup);
        var raw = connection;
        var stream = WireStream.Buffered(connection);
        try
        {
            var (seq, greeting) = await ReadStartupAsync(stream, "before its greeting", ct).ConfigureAwait(false);
            if (greeting[0] == ErrPacket.Header)
            {
                throw Refusal(greeting);
            }

            var hello = HandshakeV10.Read(new ReadOnlySequence<byte>(greeting));
            var caps = ClientCapabilities & hello.Capabilities | MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection;
            if (startup.Database.Length > 0)
            {
                caps |= MySqlCapabilities.ConnectWithDb;
            }

            var w = new ArrayBufferWriter<byte>(256);
            var tls = false;
            if (upgradeTls is not null && ((hello.Capabilities & MySqlCapabilities.Ssl) != 0 || tlsRequired))
            {
                if ((hello.Capabilities & MySqlCapabilities.Ssl) == 0)
                {
                    throw new WireException(WireFailure.Unsupported, "the server does not offer TLS");
                }

                caps |= MySqlCapabilities.Ssl;
                SslRequest.Write(w, ++seq, caps, 16 * 1024 * 1024, Utf8Mb4);
                await MySqlPacketStream.WriteFramedAsync(stream, w, ct).ConfigureAwait(false);
                w.ResetWrittenCount();
                raw = await upgradeTls(connection, ct).ConfigureAwait(false);
                stream = WireStream.Buffered(raw);
                tls = true;
            }

            var nonce = new byte[hello.ScrambleByteCount];
            hello.CopyScrambleTo(nonce);
            var nonce20 = nonce.AsSpan(0, Math.Min(nonce.Length, HandshakeV10.ScrambleLength)).ToArray();
            var plugin = Encoding.ASCII.GetString(hello.AuthPluginName);
            if (startup.Password is null || plugin != MySqlScramble.CachingSha2PasswordPlugin)
            {
                plugin = MySqlScramble.NativePasswordPlugin;
            }

            HandshakeResponse41.Write(w, ++seq, caps, 16 * 1024 * 1024, Utf8Mb4, Encoding.UTF8.GetBytes(startup.User), Scramble(plugin, startup.Password, nonce20),
                Encoding.UTF8.GetBytes(startup.Database), Encoding.ASCII.GetBytes(plugin), []);
            await MySqlPacketStream.WriteFramedAsync(stream, w, ct).ConfigureAwait(false);
            for (var round = 0; round < 4; round++)
            {
                var (answerSeq, answer) = await ReadStartupAsync(stream, "during the handshake", ct).ConfigureAwait(false);
                switch (answer[0])
                {
                    case OkPacket.OkHeader:
                        return new MySqlWireClient(raw, stream, hello.ConnectionId, caps);
                    case ErrPacket.Header:
                        throw Refusal(answer);
                    case AuthSwitchRequest.Header:
                        var change = AuthSwitchRequest.Read(new ReadOnlySequence<byte>(answer));
                        plugin = Encoding.ASCII.GetString(change.PluginName);
                        var data = change.PluginData.ToArray();
                        nonce20 = data.AsSpan(0, Math.Min(data.Length, HandshakeV10.ScrambleLength)).ToArray();
                        await MySqlPacketStream.WriteAsync(stream, (byte)(answerSeq + 1), Scramble(plugin, startup.Password, nonce20), ct).ConfigureAwait(false);
                        break;
                    case AuthMoreData.Header when answer.Length == 2 && answer[1] == AuthMoreData.FastAuthSuccess:
                        break; // the OK follows
                    case AuthMoreData.Header when answer.Length == 2 && answer[1] == AuthMoreData.PerformFullAuthentication:
                        if (!tls || startup.Password is null)
                        {
                            throw new WireException(WireFailure.Unsupported,
                                "caching_sha2_password asks for full authentication, which this client does only over TLS: connect with TLS, or log in once with the mysql client so the server caches the password");
                        }

                        await MySqlPacketStream.WriteAsync(stream, (byte)(answerSeq + 1), Encoding.UTF8.GetBytes(startup.Password + "\0"), ct).ConfigureAwait(false);
                        break;
                    default:
                        throw new WireException(WireFailure.Closed, "the MySQL handshake did not finish");
                }
            }

            throw new WireException(WireFailure.Closed, "the MySQL handshake did not finish");
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static byte[] Scramble(string plugin, string? password, byte[] nonce)
    {
        if (string.IsNullOrEmpty(password))
        {
            return []; // the certificate is the credential
        }

        var bytes = Encoding.UTF8.GetBytes(password);
        var answer = new byte[32];
        return plugin switch
        {
            MySqlScramble.NativePasswordPlugin => answer[..MySqlScramble.NativePassword(bytes, nonce, answer)],
            MySqlScramble.CachingSha2PasswordPlugin => answer[..MySqlScramble.CachingSha2Password(bytes, nonce, answer)],
            _ => throw new WireException(WireFailure.Unsupported, $"the server asked for the auth plugin {plugin}; this client does mysql_native_password, caching_sha2_password and client certificates"),
        };
    }

    private static async Task<(byte Sequence, byte[] Payload)> ReadStartupAsync(Stream stream, string when, CancellationToken ct)
    {
        (byte, byte[])? packet;
        try
        {
            packet = await MySqlPacketStream.ReadAsync(stream, MySqlLimits.MaxPreAuthPayloadLength, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            packet = null;
        }

        if (packet is not var (seq, payload) || payload.Length == 0)
        {
            throw new WireException(WireFailure.Closed, "the server closed the connection " + when);
        }

        return (seq, payload);
    }

    private static WireException Refusal(byte[] payload)
    {
        var err = ErrPacket.Read(new ReadOnlySequence<byte>(payload));
        return new WireException(WireFailure.Refused, Encoding.UTF8.GetString(err.Message), err.ErrorCode.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Runs <paramref name="sql"/> (COM_QUERY) and hands each result to <paramref name="sink"/>; a database error is the sink's, not an exception.</summary>
    public async Task QueryAsync(string sql, WireResultSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ComQuery.Write(_out, Encoding.UTF8.GetBytes(sql));
        await MySqlPacketStream.WriteFramedAsync(_stream, _out, ct).ConfigureAwait(false);
        _out.ResetWrittenCount();
        while (true)
        {
            var first = await ReadAsync(ct).ConfigureAwait(false);
            ServerStatus status;
            switch (first[0])
            {
                case OkPacket.OkHeader:
                    var ok = OkPacket.Read(new ReadOnlySequence<byte>(first), Capabilities);
                    sink.OnComplete(string.Create(CultureInfo.InvariantCulture, $"OK {ok.AffectedRows}"));
                    status = ok.Status;
                    break;
                case ErrPacket.Header:
                    sink.OnError(Error(first));
                    return;
                case 0xFB:
                    throw new MySqlProtocolException("LOCAL INFILE asked for although the client did not offer it");
                default:
                    status = await ReadResultSetAsync(first, sink, ct).ConfigureAwait(false);
                    break;
            }

            if ((status & ServerStatus.MoreResultsExist) == 0)
            {
                return;
            }
        }
    }

    private WireError Error(byte[] payload)
    {
        var err = ErrPacket.Read(new ReadOnlySequence<byte>(payload));
        var fatal = err.ErrorCode is 1927 or 1053; // the session was closed (lock, certificate end, shutdown)
        var error = new WireError(err.ErrorCode.ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(err.Message),
            err.SqlState.IsEmpty ? null : "SQLSTATE " + Encoding.ASCII.GetString(err.SqlState), fatal);
        if (fatal)
        {
            LastFatalMessage = error.Message;
        }

        return error;
    }

    /// <summary>Column count, column definitions, EOF, rows, EOF (or ERR); returns the final status.</summary>
    private async Task<ServerStatus> ReadResultSetAsync(byte[] first, WireResultSink sink, CancellationToken ct)
    {
        var count = new MySqlFieldReader(first).ReadLengthEncoded();
        if (count is 0 or > MaxColumns)
        {
            throw new MySqlProtocolException($"a result set of {count} columns");
        }

        var columns = new List<WireColumn>((int)count);
        for (var i = 0UL; i < count; i++)
        {
            var def = await ReadAsync(ct).ConfigureAwait(false);
            columns.Add(ReadColumn(def));
        }

        sink.OnColumns(columns);
        var eof = await ReadAsync(ct).ConfigureAwait(false);
        if (eof[0] != EofPacket.Header)
        {
            throw new MySqlProtocolException("no EOF after the column definitions");
        }

        long rows = 0;
        while (true)
        {
            var row = await ReadAsync(ct).ConfigureAwait(false);
            if (row[0] == EofPacket.Header && row.Length < 9)
            {
                sink.OnComplete(string.Create(CultureInfo.InvariantCulture, $"SELECT {rows}"));
                return EofPacket.Read(new ReadOnlySequence<byte>(row), Capabilities).Status;
            }

            if (row[0] == ErrPacket.Header)
            {
                sink.OnError(Error(row));
                return ServerStatus.None;
            }

            rows++;
            if (sink.WantsRows)
            {
                sink.OnRow(ReadRow(row, columns.Count), row.Length);
            }
        }
    }

    private static WireColumn ReadColumn(byte[] def)
    {
        var r = new MySqlFieldReader(def);
        r.ReadLengthEncodedString(); // catalog
        r.ReadLengthEncodedString(); // schema
        r.ReadLengthEncodedString(); // table
        r.ReadLengthEncodedString(); // org_table
        var name = Encoding.UTF8.GetString(r.ReadLengthEncodedString());
        r.ReadLengthEncodedString(); // org_name
        r.ReadLengthEncoded(); // length of the fixed fields (0x0c)
        r.Skip(2 + 4); // character set, column length
        return new WireColumn(name, MySqlTypeNames.Name(r.ReadByte()));
    }

    private static string?[] ReadRow(byte[] row, int count)
    {
        var values = new string?[count];
        var reader = new MySqlFieldReader(row);
        for (var i = 0; i < values.Length; i++)
        {
            if (reader.NextIsNull)
            {
                reader.ReadByte();
                values[i] = null;
            }
            else
            {
                values[i] = Encoding.UTF8.GetString(reader.ReadLengthEncodedString());
            }
        }

        return values;
    }

    private async Task<byte[]> ReadAsync(CancellationToken ct)
    {
        if (await MySqlPacketStream.ReadAsync(_stream, MySqlLimits.MaxPacketPayload - 1, ct).ConfigureAwait(false) is not var (_, payload))
        {
            throw new EndOfStreamException("the connection closed");
        }

        if (payload.Length == 0)
        {
            throw new MySqlProtocolException("an empty packet");
        }

        return payload;
    }

    /// <summary>Sends COM_QUIT (best effort) and closes, also while a statement is being read (past the buffer the read holds).</summary>
    public void Close()
    {
        try
        {
            _raw.Write([1, 0, 0, 0, 1]);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
        }

        _raw.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _stream.WriteAsync(new byte[] { 1, 0, 0, 0, 1 }).ConfigureAwait(false);
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
