using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Ferry.Wire;
using Ferry.Wire.MySql;

namespace Ferry.Web.Consoles;

/// <summary>
/// A MySQL/MariaDB console: TLS with ALPN <c>ferry-mysql</c> on the proxy's port 3080 (the greeting comes inside TLS),
/// then the shared <see cref="MySqlWireClient"/> (the certificate is the credential; the password is empty; COM_QUERY
/// with text result sets). Cancel is <c>KILL QUERY &lt;greeted id&gt;</c> on a second session through Ferry (the agent
/// maps the id to the server's thread id).
/// </summary>
internal sealed class MySqlConsole : DatabaseConsole
{
    private readonly MySqlWireClient _client;
    private readonly ProxyConnector _proxy;
    private readonly X509Certificate2 _certificate;

    private MySqlConsole(MySqlWireClient client, ProxyConnector proxy, X509Certificate2 certificate, string database, string dbUser, string dbName, WebOptions options)
        : base(database, dbUser, dbName, "mysql", options)
    {
        _client = client;
        _proxy = proxy;
        _certificate = certificate;
    }

    public static async Task<MySqlConsole> OpenAsync(ProxyConnector proxy, X509Certificate2 certificate, string database, string dbUser, string dbName, WebOptions options, CancellationToken ct)
    {
        var client = await ConnectAsync(proxy, certificate, dbUser, dbName, ct).ConfigureAwait(false);
        return new MySqlConsole(client, proxy, certificate, database, dbUser, dbName, options);
    }

    private static async Task<MySqlWireClient> ConnectAsync(ProxyConnector proxy, X509Certificate2 certificate, string dbUser, string dbName, CancellationToken ct)
    {
        var stream = await proxy.ConnectTlsAsync(certificate, preamble: null, Ferry.Contracts.Alpn.MySql, ct).ConfigureAwait(false);
        try
        {
            return await MySqlWireClient.ConnectAsync(stream, new MySqlStartup(dbUser, dbName), upgradeTls: null, ct).ConfigureAwait(false);
        }
        catch (WireException e)
        {
            throw e.Failure switch
            {
                WireFailure.Refused => new WebApiException(403, "refused", e.Message),
                WireFailure.Closed => new WebApiException(502, "database_unreachable", "the Ferry proxy closed the connection during the MySQL handshake"),
                _ => new WebApiException(502, "database_unreachable", e.Message),
            };
        }
    }

    protected override Task<ConsoleResult> RunAsync(string sql, CancellationToken ct) =>
        CollectAsync(tagOnlyWithoutColumns: true, sink => _client.QueryAsync(sql, sink, ct), () => _client.LastFatalMessage);

    public override async Task CancelAsync(CancellationToken ct)
    {
        ThrowIfClosed();
        var killer = await ConnectAsync(_proxy, _certificate, DbUser, "", ct).ConfigureAwait(false);
        await using (killer.ConfigureAwait(false))
        {
            var sink = new ConsoleResultSink(Options, tagOnlyWithoutColumns: true);
            await killer.QueryAsync("KILL QUERY " + _client.ConnectionId.ToString(CultureInfo.InvariantCulture), sink, ct).ConfigureAwait(false);
            if (sink.Result.Error is { } error)
            {
                throw new WebApiException(409, "cancel_failed", "cancel failed: " + error.Code + " " + error.Message);
            }
        }
    }

    protected override void CloseConnection() => _client.Close();
}
