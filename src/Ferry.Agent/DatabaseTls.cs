using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;
using Ferry.Identity.Tls.OpenSsl;

namespace Ferry.Agent;

/// <summary>
/// The agent's TLS client handshake with a database: the db-client certificate out, the server checked per the
/// database's TLS mode. TLS is OpenSSL driven directly (<see cref="OpenSslStream"/>): one shared context per db-client
/// certificate and no record buffers held while a session is idle, where <c>SslStream</c> kept ~60 KiB per connection.
/// </summary>
internal static class DatabaseTls
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    /// <summary>Authenticates over <paramref name="network"/>; on failure disposes it and throws <see cref="DatabaseConnectException"/> saying what was wrong with the server.</summary>
    public static async Task<Stream> StartAsync(NetworkStream network, AgentDatabase db, X509Certificate2 clientCertificate, X509Certificate2Collection? trustedRoots, CancellationToken ct)
    {
        var serverName = db.TlsServerName ?? db.Host;
        OpenSslContext context;
        try
        {
            context = OpenSslContext.ForClient(clientCertificate);
        }
        catch (AuthenticationException e)
        {
            await network.DisposeAsync();
            throw new DatabaseConnectException($"TLS with database {db.Name} failed: {e.Message}", e);
        }
        try
        {
            return await OpenSslStream.ConnectAsync(network, context, serverName, (leaf, sent) => Check(db, serverName, leaf, sent, trustedRoots), ct);
        }
        catch (AuthenticationException e)
        {
            throw new DatabaseConnectException(e.Message.StartsWith("database ", StringComparison.Ordinal) ? e.Message : $"TLS with database {db.Name} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// The server's certificate as <c>SslStream</c> would have judged it before <see cref="DatabaseCertificateCheck"/>:
    /// the chain built from what the server sent, to the configured CA only (or the system store without one), for
    /// server authentication, no revocation checks.
    /// </summary>
    private static string? Check(AgentDatabase db, string serverName, X509Certificate2? leaf, X509Certificate2Collection sent, X509Certificate2Collection? trustedRoots)
    {
        if (db.TlsMode == DatabaseTlsVerification.Insecure)
        {
            return null;
        }
        if (leaf is null)
        {
            return DatabaseCertificateCheck.Check(db, serverName, null, null, SslPolicyErrors.RemoteCertificateNotAvailable, trustedRoots);
        }
        using var chain = new X509Chain();
        if (trustedRoots is { Count: > 0 })
        {
            chain.ChainPolicy = TlsValidation.TrustOnly(trustedRoots);
        }
        else
        {
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        }
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        for (var i = 1; i < sent.Count; i++)
        {
            chain.ChainPolicy.ExtraStore.Add(sent[i]);
        }
        try
        {
            var errors = chain.Build(leaf) ? SslPolicyErrors.None : SslPolicyErrors.RemoteCertificateChainErrors;
            return DatabaseCertificateCheck.Check(db, serverName, leaf, chain, errors, trustedRoots);
        }
        finally
        {
            // Each element's certificate holds a reference to OpenSSL's copy (the leaf's and the CA's, a few KiB each)
            // until a collection finalises it, long after the session went idle: let go of them now.
            foreach (var element in chain.ChainElements)
            {
                element.Certificate.Dispose();
            }
        }
    }
}
