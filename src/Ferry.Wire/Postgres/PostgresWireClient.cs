using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Wire.Postgres;

/// <summary>
/// A minimal PostgreSQL client on the Ferry codec: StartupMessage (trust, certificate, cleartext, MD5 or SCRAM-SHA-256
/// logins), then statements by the simple query protocol or Parse/Bind/Execute/Sync, results in text. The caller
/// opens the connection (and TLS); this client owns the stream from then on.
/// </summary>
public sealed class PostgresWireClient : IAsyncDisposable
{
    /// <summary>Largest message read (a DataRow bigger than this ends the session).</summary>
    public const int MaxMessageLength = 64 * 1024 * 1024;

    /// <summary>Largest message during start-up (nothing legitimate comes near it).</summary>
    private const int MaxStartupMessageLength = 64 * 1024;

    private const string PreparedName = "ferry_s1";

    private readonly Stream _raw;
    private readonly Stream _stream;
    private readonly ArrayBufferWriter<byte> _out = new(256);
    private string? _prepared;

    private PostgresWireClient(Stream stream)
    {
        _raw = stream;
        _stream = WireStream.Buffered(stream);
    }

    public int ProcessId { get; private set; }

    /// <summary>The cancel key of the session (empty when the server sent none).</summary>
    public byte[] SecretKey { get; private set; } = [];

    /// <summary>A FATAL the server sent, to say why the session ended.</summary>
    public string? LastFatalMessage { get; private set; }

    /// <summary>Logs in on <paramref name="stream"/>; a refusal throws <see cref="WireException"/> with the server's message.</summary>
    public static async Task<PostgresWireClient> StartAsync(Stream stream, PostgresStartup startup, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(startup);
        var client = new PostgresWireClient(stream);
        try
        {
            await client.LoginAsync(startup, ct).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The SSLRequest preamble: asks for TLS on a plain connection; false when the server declines.</summary>
    public static async Task<bool> RequestTlsAsync(Stream network, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        await network.WriteAsync(EncryptionRequest.SslRequest.ToArray(), ct).ConfigureAwait(false);
        var answer = new byte[1];
        await network.ReadExactlyAsync(answer, ct).ConfigureAwait(false);
        return answer[0] == EncryptionRequest.Accept[0];
    }

    private async Task LoginAsync(PostgresStartup startup, CancellationToken ct)
    {
        KeyValuePair<string, string>[] parameters =
        [
            new("user", startup.User),
            new("database", startup.Database),
            new("application_name", startup.ApplicationName),
            new("client_encoding", "UTF8"),
            new("DateStyle", "ISO"),
        ];
        StartupMessage.Write(_out, 0, parameters);
        await SendAsync(ct).ConfigureAwait(false);
        ScramSha256Client? scram = null;
        while (true)
        {
            PostgresFrame frame;
            try
            {
                (frame, _) = await PostgresFrameStream.ReadAsync(_stream, MaxStartupMessageLength, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is EndOfStreamException or IOException)
            {
                throw new WireException(WireFailure.Closed, "the server closed the connection during start-up");
            }

            switch ((BackendMessageCode)frame.Code)
            {
                case BackendMessageCode.Authentication:
                    var auth = Authentication.Read(frame);
                    switch (auth.Code)
                    {
                        case AuthenticationCode.Ok:
                            break;
                        case AuthenticationCode.CleartextPassword:
                            PasswordMessage.Write(_out, Encoding.UTF8.GetBytes(Password(startup, "cleartext")));
                            await SendAsync(ct).ConfigureAwait(false);
                            break;
                        case AuthenticationCode.Md5Password:
                            PasswordMessage.Write(_out, Encoding.ASCII.GetBytes(Md5Answer(startup.User, Password(startup, "md5"), auth.Data.ToArray())));
                            await SendAsync(ct).ConfigureAwait(false);
                            break;
                        case AuthenticationCode.Sasl:
                            var mechanisms = Encoding.UTF8.GetString(auth.Data).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                            if (!mechanisms.Contains(ScramSha256Client.Mechanism))
                            {
                                throw new WireException(WireFailure.Unsupported, $"the server offers only SASL {string.Join(", ", mechanisms)}; this client does SCRAM-SHA-256 without channel binding");
                            }

                            scram = new ScramSha256Client(Password(startup, "SCRAM-SHA-256"));
                            SaslInitialResponse.Write(_out, Encoding.ASCII.GetBytes(ScramSha256Client.Mechanism), scram.ClientFirst());
                            await SendAsync(ct).ConfigureAwait(false);
                            break;
                        case AuthenticationCode.SaslContinue when scram is not null:
                            SaslResponse.Write(_out, scram.ClientFinal(auth.Data.ToArray()));
                            await SendAsync(ct).ConfigureAwait(false);
                            break;
                        case AuthenticationCode.SaslFinal when scram is not null:
                            scram.VerifyServerFinal(auth.Data.ToArray());
                            break;
                        default:
                            throw new WireException(WireFailure.Unsupported, $"the server asked for authentication method {(int)auth.Code}; this client does trust, certificates, cleartext, md5 and SCRAM-SHA-256");
                    }

                    break;
                case BackendMessageCode.BackendKeyData:
                    var key = BackendKeyData.Read(frame);
                    ProcessId = key.ProcessId;
                    SecretKey = key.SecretKey.ToArray();
                    break;
                case BackendMessageCode.ErrorResponse:
                    var error = ErrorResponse.Read(frame);
                    throw new WireException(WireFailure.Refused, ErrorResponse.Decode(error.Message), ErrorResponse.Decode(error.SqlState));
                case BackendMessageCode.ReadyForQuery:
                    return;
                default:
                    break; // ParameterStatus, NoticeResponse, NegotiateProtocolVersion
            }
        }
    }

    private static string Password(PostgresStartup startup, string method) =>
        startup.Password ?? throw new WireException(WireFailure.Unsupported, startup.NoPasswordMessage + $" (the server asked for {method})");

    /// <summary><c>md5</c> + md5hex(md5hex(password + user) + salt).</summary>
    internal static string Md5Answer(string user, string password, byte[] salt)
    {
        var inner = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(password + user)));
        var outer = MD5.HashData([.. Encoding.ASCII.GetBytes(inner), .. salt]);
        return "md5" + Convert.ToHexStringLower(outer);
    }

    /// <summary>Runs <paramref name="sql"/> and hands what comes back to <paramref name="sink"/>; a database error is the sink's, not an exception.</summary>
    public async Task QueryAsync(string sql, WireResultSink sink, PostgresQueryMode mode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var text = Encoding.UTF8.GetBytes(sql);
        switch (mode)
        {
            case PostgresQueryMode.Simple:
                Query.Write(_out, text);
                break;
            case PostgresQueryMode.Extended:
                Parse.Write(_out, [], text, []);
                WriteBindExecuteSync([]);
                break;
            default:
                if (_prepared != sql)
                {
                    if (_prepared is not null)
                    {
                        Describe.Write(_out, DescribeTarget.Statement, Encoding.ASCII.GetBytes(PreparedName), FrontendMessageCode.Close);
                    }

                    Parse.Write(_out, Encoding.ASCII.GetBytes(PreparedName), text, []);
                    _prepared = sql;
                }

                WriteBindExecuteSync(Encoding.ASCII.GetBytes(PreparedName));
                break;
        }

        await SendAsync(ct).ConfigureAwait(false);
        if (!await ReadResultsAsync(sink, ct).ConfigureAwait(false) && mode == PostgresQueryMode.Prepared)
        {
            _prepared = null; // the Parse may have failed: prepare again next time
        }
    }

    public Task QueryAsync(string sql, WireResultSink sink, CancellationToken ct) => QueryAsync(sql, sink, PostgresQueryMode.Simple, ct);

    private void WriteBindExecuteSync(ReadOnlySpan<byte> statement)
    {
        Bind.Write(_out, [], statement, [], [], []);
        Execute.Write(_out, [], 0);
        EmptyMessage.Write(_out, (byte)FrontendMessageCode.Sync);
    }

    /// <summary>Reads until ReadyForQuery; false when an error came.</summary>
    private async Task<bool> ReadResultsAsync(WireResultSink sink, CancellationToken ct)
    {
        var ok = true;
        while (true)
        {
            var (frame, _) = await PostgresFrameStream.ReadAsync(_stream, MaxMessageLength, ct).ConfigureAwait(false);
            switch ((BackendMessageCode)frame.Code)
            {
                case BackendMessageCode.RowDescription:
                    sink.OnColumns(PostgresColumns.Read(frame.Payload).Columns);
                    break;
                case BackendMessageCode.DataRow:
                    if (sink.WantsRows)
                    {
                        var row = DataRow.Read(frame);
                        var values = new string?[row.ColumnCount];
                        var i = 0;
                        foreach (var value in row.Columns)
                        {
                            values[i++] = value.IsNull ? null : Encoding.UTF8.GetString(value.Value);
                        }

                        sink.OnRow(values, frame.PayloadLength);
                    }

                    break;
                case BackendMessageCode.CommandComplete:
                    sink.OnComplete(Encoding.UTF8.GetString(CommandComplete.Read(frame)));
                    break;
                case BackendMessageCode.ErrorResponse:
                    var error = ErrorResponse.Read(frame);
                    var fatal = ErrorResponse.Decode(error.Severity) is "FATAL" or "PANIC";
                    var wireError = new WireError(ErrorResponse.Decode(error.SqlState), ErrorResponse.Decode(error.Message),
                        error.Detail.IsEmpty ? null : ErrorResponse.Decode(error.Detail), fatal);
                    if (fatal)
                    {
                        LastFatalMessage = wireError.Message;
                    }

                    ok = false;
                    sink.OnError(wireError);
                    break;
                case BackendMessageCode.NoticeResponse:
                    var notice = ErrorResponse.Read(frame);
                    sink.OnNotice(ErrorResponse.Decode(notice.Severity) + ": " + ErrorResponse.Decode(notice.Message));
                    break;
                case BackendMessageCode.CopyInResponse:
                    CopyFail.Write(_out, "COPY FROM STDIN is not available in this client"u8);
                    await SendAsync(ct).ConfigureAwait(false);
                    break;
                case BackendMessageCode.ReadyForQuery:
                    return ok;
                default:
                    break; // ParseComplete, BindComplete, CloseComplete, EmptyQueryResponse, ParameterStatus, NotificationResponse, CopyOut data (dropped)
            }
        }
    }

    private async Task SendAsync(CancellationToken ct)
    {
        await _stream.WriteAsync(_out.WrittenMemory, ct).ConfigureAwait(false);
        await _stream.FlushAsync(ct).ConfigureAwait(false);
        _out.ResetWrittenCount();
    }

    /// <summary>A CancelRequest for this session, to send on a new plain connection.</summary>
    public byte[] CancelRequestBytes()
    {
        var w = new ArrayBufferWriter<byte>(16 + SecretKey.Length);
        CancelRequest.Write(w, ProcessId, SecretKey);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Sends Terminate (best effort) and closes the connection, also while a statement is being read (from another
    /// thread: it writes past the buffer, which the pending read holds).
    /// </summary>
    public void Close()
    {
        try
        {
            _raw.Write([(byte)'X', 0, 0, 0, 4]);
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
            await _stream.WriteAsync(new byte[] { (byte)'X', 0, 0, 0, 4 }).ConfigureAwait(false);
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
        {
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
