using System.Net.Sockets;

namespace Ferry.Client;

/// <summary>
/// Local MySQL endpoint: each plain local connection is carried over TLS with ALPN <c>ferry-mysql</c> on the proxy's
/// main port, where the proxy speaks MySQL (greeting first) inside the TLS session it already authenticated with
/// the routed certificate. Bytes are relayed unchanged.
/// </summary>
public sealed class MySqlLocalProxy(RoutedCertificateSource certificates, ServerTrust upstreamTrust, ProxyAddress upstream, int port, Action<string>? log = null)
    : LocalProxyServer(certificates, upstreamTrust, upstream, port, log)
{
    public const string Alpn = Contracts.Alpn.MySql;

    protected override async Task HandleAsync(NetworkStream local, CancellationToken ct)
    {
        await using var upstream = await ConnectUpstreamAsync(preamble: null, Alpn, ct).ConfigureAwait(false);
        await RelayAsync(local, upstream, ct).ConfigureAwait(false);
    }
}
