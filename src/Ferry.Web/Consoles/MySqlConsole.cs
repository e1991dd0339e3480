using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Web.Consoles;

/// <summary>
/// A MySQL/MariaDB console: TLS with ALPN <c>ferry-mysql</c> on the proxy's port 3080 (the greeting comes inside TLS),
/// a HandshakeResponse41 (the certificate is the credential; the password is empty), then COM_QUERY with text result
/// sets, built on the MySQL codec. Cancel is <c>KILL QUERY &lt;greeted id&gt;</c> on a second session through Ferry
/// (the agent maps the id to the server's thread id).
/// </summary>
internal sealed class MySqlConsole : DatabaseConsole
{
    private const MySqlCapabilities ClientCapabilities =
        MySqlCapabilities.LongPassword | MySqlCapabilities.LongFlag | MySqlCapabilities.Protocol41 | MySqlCapabilities.Transactions
        | MySqlCapabilities.SecureConnection | MySqlCapabilities.MultiStatements | MySqlCapabilities.MultiResults
        | MySqlCapabilities.PluginAuth;

    /// <summary>utf8mb4_general_ci.</summary>
    private const byte Utf8Mb4 = 45;

    private readonly SslStream _stream;
    private readonly ProxyConnector _proxy;
    private readonly X509Certificate2 _certificate;
    private readonly uint _connectionId;
    private readonly MySqlCapabilities _capabilities;

    private MySqlConsole(SslStream stream, ProxyConnector proxy, X509Certificate2 certificate, uint connectionId, MySqlCapabilities capabilities, string database, string dbUser, string dbName, WebOptions options)
        : base(database, dbUser, dbName, "mysql", options)
    {
        _stream = stream;
        _proxy = proxy;
        _certificate = certificate;
        _connectionId = connectionId;
        _capabilities = capabilities;
    }

    public static async Task<MySqlConsole> OpenAsync(ProxyConnector proxy, X509Certificate2 certificate, string database, string dbUser, string dbName, WebOptions options, CancellationToken ct)
    {
        var (stream, id, caps) = await ConnectAsync(proxy, certificate, dbUser, dbName, ct).ConfigureAwait(false);
        return new MySqlConsole(stream, proxy, certificate, id, caps, database, dbUser, dbName, options);
    }

    private static async Task<(SslStream Stream, uint ConnectionId, MySqlCapabilities Capabilities)> ConnectAsync(ProxyConnector proxy, X509Certificate2 certificate, string dbUser, string dbName, CancellationToken ct)
    {
        var stream = await proxy.ConnectTlsAsync(certificate, preamble: null, Ferry.Contracts.Alpn.MySql, ct).ConfigureAwait(false);
        try
        {
            if (await MySqlPacketStream.ReadAsync(stream, MySqlLimits.MaxPreAuthPayloadLength, ct).ConfigureAwait(false) is not var (seq, greeting))
            {
                throw new WebApiException(502, "database_unreachable", "the Ferry proxy closed the connection before its greeting");
            }

            if (greeting.Length > 0 && greeting[0] == ErrPacket.Header)
            {
                throw Refusal(greeting);
            }

            var hello = HandshakeV10.Read(new ReadOnlySequence<byte>(greeting));
            var caps = ClientCapabilities & hello.Capabilities | MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection;
            if (dbName.Length > 0)
            {
                caps |= MySqlCapabilities.ConnectWithDb;
            }

            var w = new ArrayBufferWriter<byte>(256);
            HandshakeResponse41.Write(w, (byte)(seq + 1), caps, 16 * 1024 * 1024, Utf8Mb4, Encoding.UTF8.GetBytes(dbUser), [],
                Encoding.UTF8.GetBytes(dbName), Encoding.ASCII.GetBytes(Ferry.Protocol.MySql.Auth.MySqlScramble.NativePasswordPlugin), []);
            await MySqlPacketStream.WriteFramedAsync(stream, w, ct).ConfigureAwait(false);
            for (var round = 0; round < 4; round++)
            {
                if (await MySqlPacketStream.ReadAsync(stream, MySqlLimits.MaxPreAuthPayloadLength, ct).ConfigureAwait(false) is not var (answerSeq, answer) || answer.Length == 0)
                {
                    throw new WebApiException(502, "database_unreachable", "the Ferry proxy closed the connection during the MySQL handshake");
                }

                switch (answer[0])
                {
                    case OkPacket.OkHeader:
                        return (stream, hello.ConnectionId, caps);
                    case ErrPacket.Header:
                        throw Refusal(answer);
                    case AuthSwitchRequest.Header:
                        // The certificate is the credential: answer any plugin switch with an empty response.
                        await MySqlPacketStream.WriteAsync(stream, (byte)(answerSeq + 1), ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
                        break;
                    default:
                        throw new WebApiException(502, "database_unreachable", "the MySQL handshake through Ferry did not finish");
                }
            }

            throw new WebApiException(502, "database_unreachable", "the MySQL handshake through Ferry did not finish");
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static WebApiException Refusal(byte[] payload)
    {
        var err = ErrPacket.Read(new ReadOnlySequence<byte>(payload));
        return new WebApiException(403, "refused", Encoding.UTF8.GetString(err.Message));
    }

    protected override Task<ConsoleResult> RunAsync(string sql, CancellationToken ct) => RunOnAsync(_stream, sql, ct);

    private async Task<ConsoleResult> RunOnAsync(SslStream stream, string sql, CancellationToken ct)
    {
        var w = new ArrayBufferWriter<byte>(sql.Length + 16);
        ComQuery.Write(w, Encoding.UTF8.GetBytes(sql));
        await MySqlPacketStream.WriteFramedAsync(stream, w, ct).ConfigureAwait(false);
        var result = new ConsoleResult();
        while (true)
        {
            var first = await ReadAsync(stream, ct).ConfigureAwait(false);
            ServerStatus status;
            switch (first[0])
            {
                case OkPacket.OkHeader:
                    var ok = OkPacket.Read(new ReadOnlySequence<byte>(first), _capabilities);
                    if (result.Columns.Count == 0)
                    {
                        result.Tag = string.Create(CultureInfo.InvariantCulture, $"OK {ok.AffectedRows}");
                    }

                    status = ok.Status;
                    break;
                case ErrPacket.Header:
                    var err = ErrPacket.Read(new ReadOnlySequence<byte>(first));
                    result.Error = new ConsoleError
                    {
                        Code = err.ErrorCode.ToString(CultureInfo.InvariantCulture),
                        Message = Encoding.UTF8.GetString(err.Message),
                        Detail = err.SqlState.IsEmpty ? null : "SQLSTATE " + Encoding.ASCII.GetString(err.SqlState),
                    };
                    if (err.ErrorCode is 1927 or 1053)
                    {
                        LastServerMessage = result.Error.Message; // the session was closed (lock, certificate end, shutdown)
                    }

                    return result;
                case 0xFB:
                    throw new MySqlProtocolException("LOCAL INFILE asked for although the client did not offer it");
                default:
                    var next = new ConsoleResult();
                    result.Notices.ForEach(next.AddNotice);
                    result = next;
                    status = await ReadResultSetAsync(stream, first, result, ct).ConfigureAwait(false);
                    result.Tag = string.Create(CultureInfo.InvariantCulture, $"SELECT {result.RowCount}");
                    break;
            }

            if ((status & ServerStatus.MoreResultsExist) == 0)
            {
                return result;
            }
        }
    }

    /// <summary>Column count, column definitions, EOF, rows, EOF (or ERR); returns the final status.</summary>
    private async Task<ServerStatus> ReadResultSetAsync(SslStream stream, byte[] first, ConsoleResult result, CancellationToken ct)
    {
        var count = new MySqlFieldReader(first).ReadLengthEncoded();
        if (count is 0 or > 4096)
        {
            throw new MySqlProtocolException($"a result set of {count} columns");
        }

        var columns = new List<ConsoleColumn>((int)count);
        for (var i = 0UL; i < count; i++)
        {
            var def = await ReadAsync(stream, ct).ConfigureAwait(false);
            var r = new MySqlFieldReader(def);
            r.ReadLengthEncodedString(); // catalog
            r.ReadLengthEncodedString(); // schema
            r.ReadLengthEncodedString(); // table
            r.ReadLengthEncodedString(); // org_table
            var name = Encoding.UTF8.GetString(r.ReadLengthEncodedString());
            r.ReadLengthEncodedString(); // org_name
            r.ReadLengthEncoded(); // length of the fixed fields (0x0c)
            r.Skip(2 + 4); // character set, column length
            var type = r.ReadByte();
            columns.Add(new ConsoleColumn { Name = name, Type = MySqlTypeNames.Name(type) });
        }

        result.Columns = columns;
        var eof = await ReadAsync(stream, ct).ConfigureAwait(false);
        if (eof[0] != EofPacket.Header)
        {
            throw new MySqlProtocolException("no EOF after the column definitions");
        }

        while (true)
        {
            var row = await ReadAsync(stream, ct).ConfigureAwait(false);
            if (row[0] == EofPacket.Header && row.Length < 9)
            {
                return EofPacket.Read(new ReadOnlySequence<byte>(row), _capabilities).Status;
            }

            if (row[0] == ErrPacket.Header)
            {
                var err = ErrPacket.Read(new ReadOnlySequence<byte>(row));
                result.Error = new ConsoleError { Code = err.ErrorCode.ToString(CultureInfo.InvariantCulture), Message = Encoding.UTF8.GetString(err.Message) };
                if (err.ErrorCode is 1927 or 1053)
                {
                    LastServerMessage = result.Error.Message;
                }

                return ServerStatus.None;
            }

            var values = new string?[columns.Count];
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

            result.AddRow(values, row.Length, Options.MaxResultRows, Options.MaxResultBytes);
        }
    }

    private static async Task<byte[]> ReadAsync(SslStream stream, CancellationToken ct)
    {
        if (await MySqlPacketStream.ReadAsync(stream, MySqlLimits.MaxPacketPayload - 1, ct).ConfigureAwait(false) is not var (_, payload))
        {
            throw new EndOfStreamException("the connection closed");
        }

        if (payload.Length == 0)
        {
            throw new MySqlProtocolException("an empty packet");
        }

        return payload;
    }

    public override async Task CancelAsync(CancellationToken ct)
    {
        ThrowIfClosed();
        var (stream, _, _) = await ConnectAsync(_proxy, _certificate, DbUser, "", ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var result = await RunOnAsync(stream, "KILL QUERY " + _connectionId.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            if (result.Error is { } error)
            {
                throw new WebApiException(409, "cancel_failed", "cancel failed: " + error.Code + " " + error.Message);
            }
        }
    }

    protected override void CloseConnection()
    {
        try
        {
            _stream.Write([1, 0, 0, 0, 1]); // COM_QUIT, best effort
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
        }

        _stream.Dispose();
    }
}
