using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Client;

/// <summary>
/// Connects to a Ferry proxy as a database client does: TCP, an optional plain preamble (the PostgreSQL SSLRequest),
/// then TLS with a routed certificate, the proxy's host certificate checked against the pinned host CA (role proxy).
/// Used by the local proxy and by <c>ferry bench</c>.
/// </summary>
public static class FerryProxyConnector
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    public static async Task<SslStream> ConnectAsync(ProxyAddress upstream, ServerTrust trust, X509Certificate2 certificate,
        Func<NetworkStream, CancellationToken, Task>? preamble, string? alpn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(trust);
        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(ConnectTimeout);
                try
                {
                    await tcp.ConnectAsync(upstream.Host, upstream.Port, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    throw new FerryClientException($"cannot reach the Ferry proxy at {upstream} ({e.Message})", e);
                }
            }

            var network = new NetworkStream(tcp, ownsSocket: true);
            if (preamble is not null)
            {
                await preamble(network, ct).ConfigureAwait(false);
            }

            string? trustFailure = null;
            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = upstream.Host,
                    ClientCertificates = [certificate],
                    LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                    RemoteCertificateValidationCallback = trust.Callback(f => trustFailure = f, HostRole.Proxy),
                    ApplicationProtocols = alpn is null ? null : [new SslApplicationProtocol(alpn)],
                }, ct).ConfigureAwait(false);
            }
            catch (System.Security.Authentication.AuthenticationException e)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw new FerryClientException(trustFailure ?? $"TLS with the Ferry proxy at {upstream} failed ({e.Message})", e);
            }

            return tls;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
