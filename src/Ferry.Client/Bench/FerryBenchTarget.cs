using Ferry.Wire;
using Ferry.Wire.MySql;
using Ferry.Wire.Postgres;

namespace Ferry.Client.Bench;

/// <summary>
/// Sessions through Ferry exactly as <c>ferry proxy db</c> opens them: TLS to the proxy with the certificate routed to
/// the database (renewed in memory while the login lasts), the PostgreSQL SSLRequest or ALPN <c>ferry-mysql</c>.
/// </summary>
public sealed class FerryBenchTarget(ClientSession session, RoutedCertificateSource certificates, string database, string protocol,
    string dbUser, string dbName, PostgresQueryMode mode) : IBenchTarget
{
    public string Protocol => protocol;

    public string Description => $"{database} via ferry at {session?.Address}";

    public async Task<BenchSession> OpenAsync(CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(certificates);
        var certificate = await certificates.GetAsync(ct).ConfigureAwait(false);
        if (protocol == DatabaseProtocols.Postgres)
        {
            var tls = await FerryProxyConnector.ConnectAsync(session.Address, session.Trust, certificate, RequireTlsAsync, alpn: null, ct).ConfigureAwait(false);
            var client = await PostgresWireClient.StartAsync(tls, new PostgresStartup(dbUser, dbName, "ferry-bench")
            {
                NoPasswordMessage = "the database asked for a password: Ferry sessions authenticate with certificates",
            }, ct).ConfigureAwait(false);
            return new PostgresBenchSession(client, mode);
        }

        var stream = await FerryProxyConnector.ConnectAsync(session.Address, session.Trust, certificate, preamble: null, Ferry.Contracts.Alpn.MySql, ct).ConfigureAwait(false);
        return new MySqlBenchSession(await MySqlWireClient.ConnectAsync(stream, new MySqlStartup(dbUser, dbName), upgradeTls: null, ct).ConfigureAwait(false));
    }

    private static async Task RequireTlsAsync(System.Net.Sockets.NetworkStream network, CancellationToken ct)
    {
        if (!await PostgresWireClient.RequestTlsAsync(network, ct).ConfigureAwait(false))
        {
            throw new WireException(WireFailure.Refused, "the Ferry proxy refused TLS for PostgreSQL");
        }
    }
}
