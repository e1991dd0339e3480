using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Web.Consoles;

/// <summary>
/// Connects a console to a Ferry proxy's port 3080 exactly as a client does: TCP, an optional plain preamble (the
/// PostgreSQL SSLRequest), then TLS with the console's routed user certificate, the proxy's host certificate checked
/// against the cluster's host CA (role proxy).
/// </summary>
internal sealed class ProxyConnector(Func<EndPoint?> endpoint, IdentityVerifier hostVerifier)
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    public EndPoint Target => endpoint() ?? throw new WebApiException(503, "unavailable", "the web console has no proxy to connect through: set web.proxy_addr");

    /// <summary>A plain TCP connection to the proxy (PostgreSQL CancelRequest).</summary>
    public async Task<NetworkStream> ConnectPlainAsync(CancellationToken ct)
    {
        var target = Target;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new WebApiException(502, "database_unreachable", $"cannot reach the Ferry proxy at {target}: {e.Message}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>TLS to the proxy with <paramref name="certificate"/>, after <paramref name="preamble"/> on the plain connection.</summary>
    public async Task<SslStream> ConnectTlsAsync(X509Certificate2 certificate, Func<NetworkStream, CancellationToken, Task>? preamble, string? alpn, CancellationToken ct)
    {
        var network = await ConnectPlainAsync(ct).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            if (preamble is not null)
            {
                await preamble(network, timeout.Token).ConfigureAwait(false);
            }

            string? trustFailure = null;
            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    ClientCertificates = [certificate],
                    LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                    RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    {
                        if (cert is null)
                        {
                            trustFailure = "the proxy sent no certificate";
                            return false;
                        }

                        var result = hostVerifier.VerifyHost(cert.GetRawCertData(), HostRole.Proxy);
                        trustFailure = result.IsValid ? null : "the proxy's certificate is not trusted: " + result.Message;
                        return result.IsValid;
                    },
                    ApplicationProtocols = alpn is null ? null : [new SslApplicationProtocol(alpn)],
                }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw new WebApiException(502, "database_unreachable", trustFailure ?? $"TLS with the Ferry proxy at {Target} failed: {e.Message}");
            }

            return tls;
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
