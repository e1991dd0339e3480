using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Web.Consoles;

/// <summary>
/// A PostgreSQL console: SSLRequest, TLS with the routed certificate, StartupMessage, then the simple query protocol
/// with text results, built on the PostgreSQL codec. Cancel is a CancelRequest with the session's BackendKeyData
/// (the key the agent minted) sent to the proxy, which routes it to the agent that holds the session.
/// </summary>
internal sealed class PostgresConsole : DatabaseConsole
{
    /// <summary>Largest message read (a DataRow bigger than this ends the console).</summary>
    private const int MaxMessageLength = 64 * 1024 * 1024;

    private readonly SslStream _stream;
    private readonly ProxyConnector _proxy;
    private int _processId;
    private byte[] _secretKey = [];

    private PostgresConsole(SslStream stream, ProxyConnector proxy, string database, string dbUser, string dbName, WebOptions options)
        : base(database, dbUser, dbName, "postgres", options)
    {
        _stream = stream;
        _proxy = proxy;
    }

    /// <summary>Opens a session; a refusal by the proxy or the agent (RBAC, lock, MFA) is a 403 with its message.</summary>
    public static async Task<PostgresConsole> OpenAsync(ProxyConnector proxy, X509Certificate2 certificate, string database, string dbUser, string dbName, WebOptions options, CancellationToken ct)
    {
        var stream = await proxy.ConnectTlsAsync(certificate, SslRequestAsync, alpn: null, ct).ConfigureAwait(false);
        var console = new PostgresConsole(stream, proxy, database, dbUser, dbName, options);
        try
        {
            await console.StartAsync(ct).ConfigureAwait(false);
            return console;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task SslRequestAsync(System.Net.Sockets.NetworkStream network, CancellationToken ct)
    {
        await network.WriteAsync(EncryptionRequest.SslRequest.ToArray(), ct).ConfigureAwait(false);
        var answer = new byte[1];
        await network.ReadExactlyAsync(answer, ct).ConfigureAwait(false);
        if (answer[0] != EncryptionRequest.Accept[0])
        {
            throw new WebApiException(502, "database_unreachable", "the Ferry proxy refused TLS for PostgreSQL");
        }
    }

    private async Task StartAsync(CancellationToken ct)
    {
        var w = new ArrayBufferWriter<byte>(256);
        StartupMessage.Write(w, 0,
        [
            new("user", DbUser),
            new("database", DbName),
            new("application_name", "ferry-web"),
            new("client_encoding", "UTF8"),
            new("DateStyle", "ISO"),
        ]);
        await _stream.WriteAsync(w.WrittenMemory, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        while (true)
        {
            PostgresFrame frame;
            try
            {
                (frame, _) = await PostgresFrameStream.ReadAsync(_stream, MaxMessageLength, ct).ConfigureAwait(false);
            }
            catch (EndOfStreamException)
            {
                throw new WebApiException(502, "database_unreachable", "the Ferry proxy closed the connection during start-up");
            }

            switch ((BackendMessageCode)frame.Code)
            {
                case BackendMessageCode.Authentication:
                    if (Authentication.Read(frame).Code != AuthenticationCode.Ok)
                    {
                        throw new WebApiException(502, "database_unreachable", "the database asked for a password: Ferry sessions authenticate with certificates");
                    }

                    break;
                case BackendMessageCode.BackendKeyData:
                    var key = BackendKeyData.Read(frame);
                    _processId = key.ProcessId;
                    _secretKey = key.SecretKey.ToArray();
                    break;
                case BackendMessageCode.ErrorResponse:
                    var error = ErrorResponse.Read(frame);
                    throw new WebApiException(403, "refused", ErrorResponse.Decode(error.Message));
                case BackendMessageCode.ReadyForQuery:
                    return;
                default:
                    break; // ParameterStatus, NoticeResponse, NegotiateProtocolVersion
            }
        }
    }

    protected override async Task<ConsoleResult> RunAsync(string sql, CancellationToken ct)
    {
        var w = new ArrayBufferWriter<byte>(sql.Length + 16);
        Query.Write(w, sql);
        await _stream.WriteAsync(w.WrittenMemory, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        var result = new ConsoleResult();
        var columnTypes = Array.Empty<int>();
        while (true)
        {
            var (frame, _) = await PostgresFrameStream.ReadAsync(_stream, MaxMessageLength, ct).ConfigureAwait(false);
            switch ((BackendMessageCode)frame.Code)
            {
                case BackendMessageCode.RowDescription:
                    // A new result set: the last one of a multi-statement text is the one kept.
                    var (columns, types) = ReadColumns(frame.Payload);
                    var notices = result.Notices.ToList();
                    result = new ConsoleResult { Columns = columns };
                    notices.ForEach(result.AddNotice);
                    columnTypes = types;
                    break;
                case BackendMessageCode.DataRow:
                    var row = DataRow.Read(frame);
                    var values = new string?[row.ColumnCount];
                    var i = 0;
                    foreach (var value in row.Columns)
                    {
                        values[i++] = value.IsNull ? null : Encoding.UTF8.GetString(value.Value);
                    }

                    result.AddRow(values, frame.PayloadLength, Options.MaxResultRows, Options.MaxResultBytes);
                    break;
                case BackendMessageCode.CommandComplete:
                    result.Tag = Encoding.UTF8.GetString(CommandComplete.Read(frame));
                    break;
                case BackendMessageCode.ErrorResponse:
                    var error = ErrorResponse.Read(frame);
                    result.Error = new ConsoleError
                    {
                        Code = ErrorResponse.Decode(error.SqlState),
                        Message = ErrorResponse.Decode(error.Message),
                        Detail = error.Detail.IsEmpty ? null : ErrorResponse.Decode(error.Detail),
                    };
                    if (ErrorResponse.Decode(error.Severity) is "FATAL" or "PANIC")
                    {
                        LastServerMessage = result.Error.Message;
                    }

                    break;
                case BackendMessageCode.NoticeResponse:
                    var notice = ErrorResponse.Read(frame);
                    result.AddNotice(ErrorResponse.Decode(notice.Severity) + ": " + ErrorResponse.Decode(notice.Message));
                    break;
                case BackendMessageCode.CopyInResponse:
                    var fail = new ArrayBufferWriter<byte>(128);
                    CopyFail.Write(fail, "COPY FROM STDIN is not available in the web console"u8);
                    await _stream.WriteAsync(fail.WrittenMemory, ct).ConfigureAwait(false);
                    await _stream.FlushAsync(ct).ConfigureAwait(false);
                    break;
                case BackendMessageCode.ReadyForQuery:
                    _ = columnTypes;
                    return result;
                default:
                    break; // EmptyQueryResponse, ParameterStatus, NotificationResponse, CopyOut data (dropped)
            }
        }
    }

    /// <summary>RowDescription fields: names and type names (the codec validates and counts; the fields are read here).</summary>
    internal static (List<ConsoleColumn> Columns, int[] Types) ReadColumns(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryReadBigEndian(out short count) || count < 0)
        {
            throw new PostgresProtocolException("RowDescription: truncated");
        }

        var columns = new List<ConsoleColumn>(count);
        var types = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadTo(out ReadOnlySequence<byte> name, 0)
                || !reader.TryReadBigEndian(out int _)
                || !reader.TryReadBigEndian(out short _)
                || !reader.TryReadBigEndian(out int type)
                || !reader.TryReadBigEndian(out short _)
                || !reader.TryReadBigEndian(out int _)
                || !reader.TryReadBigEndian(out short _))
            {
                throw new PostgresProtocolException("RowDescription: truncated field");
            }

            types[i] = type;
            columns.Add(new ConsoleColumn { Name = Encoding.UTF8.GetString(name), Type = PostgresTypeNames.Name(type) });
        }

        return (columns, types);
    }

    public override async Task CancelAsync(CancellationToken ct)
    {
        ThrowIfClosed();
        if (_secretKey.Length == 0)
        {
            throw new WebApiException(409, "conflict", "this session has no cancel key");
        }

        await using var network = await _proxy.ConnectPlainAsync(ct).ConfigureAwait(false);
        var w = new ArrayBufferWriter<byte>(16 + _secretKey.Length);
        CancelRequest.Write(w, _processId, _secretKey);
        await network.WriteAsync(w.WrittenMemory, ct).ConfigureAwait(false);
        await network.FlushAsync(ct).ConfigureAwait(false);
        // The server closes the connection without an answer once it has taken the request.
        var buffer = new byte[1];
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            _ = await network.ReadAsync(buffer, wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && !ct.IsCancellationRequested)
        {
            // Sent; the proxy keeps the connection open until the agent has taken it.
        }
    }

    protected override void CloseConnection()
    {
        try
        {
            // Terminate, best effort, then close.
            _stream.Write([(byte)'X', 0, 0, 0, 4]);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
        }

        _stream.Dispose();
    }
}
