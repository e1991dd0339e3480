using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Ferry.Wire;
using Ferry.Wire.Postgres;

namespace Ferry.Web.Consoles;

/// <summary>
/// A PostgreSQL console: SSLRequest, TLS with the routed certificate, then the shared <see cref="PostgresWireClient"/>
/// (simple query protocol, text results). Cancel is a CancelRequest with the session's BackendKeyData (the key the
/// agent minted) sent to the proxy, which routes it to the agent that holds the session.
/// </summary>
internal sealed class PostgresConsole : DatabaseConsole
{
    private readonly PostgresWireClient _client;
    private readonly ProxyConnector _proxy;

    private PostgresConsole(PostgresWireClient client, ProxyConnector proxy, string database, string dbUser, string dbName, WebOptions options)
        : base(database, dbUser, dbName, "postgres", options)
    {
        _client = client;
        _proxy = proxy;
    }

    /// <summary>Opens a session; a refusal by the proxy or the agent (RBAC, lock, MFA) is a 403 with its message.</summary>
    public static async Task<PostgresConsole> OpenAsync(ProxyConnector proxy, X509Certificate2 certificate, string database, string dbUser, string dbName, WebOptions options, CancellationToken ct)
    {
        var stream = await proxy.ConnectTlsAsync(certificate, SslRequestAsync, alpn: null, ct).ConfigureAwait(false);
        PostgresWireClient client;
        try
        {
            client = await PostgresWireClient.StartAsync(stream, new PostgresStartup(dbUser, dbName, "ferry-web")
            {
                NoPasswordMessage = "the database asked for a password: Ferry sessions authenticate with certificates",
            }, ct).ConfigureAwait(false);
        }
        catch (WireException e)
        {
            throw e.Failure switch
            {
                WireFailure.Refused => new WebApiException(403, "refused", e.Message),
                WireFailure.Closed => new WebApiException(502, "database_unreachable", "the Ferry proxy closed the connection during start-up"),
                _ => new WebApiException(502, "database_unreachable", e.Message),
            };
        }

        return new PostgresConsole(client, proxy, database, dbUser, dbName, options);
    }

    private static async Task SslRequestAsync(System.Net.Sockets.NetworkStream network, CancellationToken ct)
    {
        if (!await PostgresWireClient.RequestTlsAsync(network, ct).ConfigureAwait(false))
        {
            throw new WebApiException(502, "database_unreachable", "the Ferry proxy refused TLS for PostgreSQL");
        }
    }

    protected override Task<ConsoleResult> RunAsync(string sql, CancellationToken ct) =>
        CollectAsync(tagOnlyWithoutColumns: false, sink => _client.QueryAsync(sql, sink, ct), () => _client.LastFatalMessage);

    /// <summary>RowDescription fields: names and type names.</summary>
    internal static (List<ConsoleColumn> Columns, int[] Types) ReadColumns(ReadOnlySequence<byte> payload)
    {
        var (columns, types) = PostgresColumns.Read(payload);
        return ([.. columns.Select(c => new ConsoleColumn { Name = c.Name, Type = c.Type })], types);
    }

    public override async Task CancelAsync(CancellationToken ct)
    {
        ThrowIfClosed();
        if (_client.SecretKey.Length == 0)
        {
            throw new WebApiException(409, "conflict", "this session has no cancel key");
        }

        await using var network = await _proxy.ConnectPlainAsync(ct).ConfigureAwait(false);
        await network.WriteAsync(_client.CancelRequestBytes(), ct).ConfigureAwait(false);
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

    protected override void CloseConnection() => _client.Close();
}
