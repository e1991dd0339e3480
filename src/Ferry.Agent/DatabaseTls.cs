using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Agent;

/// <summary>The agent's TLS client handshake with a database: the db-client certificate out, the server checked per the database's TLS mode.</summary>
internal static class DatabaseTls
{
    /// <summary>Authenticates over <paramref name="network"/>; on failure disposes it and throws <see cref="DatabaseConnectException"/> saying what was wrong with the server.</summary>
    public static async Task<SslStream> StartAsync(Stream network, AgentDatabase db, X509Certificate2 clientCertificate, X509Certificate2Collection? trustedRoots, CancellationToken ct)
    {
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        var serverName = db.TlsServerName ?? db.Host;
        string? verifyError = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ClientCertificateContext = ContextFor(clientCertificate),
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            // With a configured CA the handshake's chain build trusts exactly that CA (and never searches the
            // system store); the check below reads its result instead of building the chain a second time.
            CertificateChainPolicy = trustedRoots is { Count: > 0 } ? TlsValidation.TrustOnly(trustedRoots) : null,
            RemoteCertificateValidationCallback = (_, cert, chain, errors) =>
            {
                verifyError = DatabaseCertificateCheck.Check(db, serverName, cert, chain, errors, trustedRoots);
                return verifyError is null;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, ct);
        }
        catch (AuthenticationException e)
        {
            await ssl.DisposeAsync();
            throw new DatabaseConnectException(verifyError ?? $"TLS with database {db.Name} failed: {e.Message}", e);
        }
        return ssl;
    }

    // One context per db-client certificate (the agent caches those for most of their life): without it the
    // handshake builds the certificate's chain again, searching the system store, for every connection.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, SslStreamCertificateContext> Contexts = new();

    private static SslStreamCertificateContext ContextFor(X509Certificate2 certificate) =>
        Contexts.GetValue(certificate, static c => SslStreamCertificateContext.Create(c, additionalCertificates: null, offline: true));
}
