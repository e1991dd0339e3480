using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Agent;

/// <summary>Verifies a database server certificate in verify-full, verify-ca or insecure mode.</summary>
internal static class DatabaseCertificateCheck
{
    /// <summary>
    /// Returns null when acceptable, else a message naming the problem. <paramref name="chain"/> and
    /// <paramref name="errors"/> come from the handshake, which with <paramref name="trustedRoots"/> built the
    /// chain under <see cref="TlsValidation.TrustOnly"/> (those roots and nothing else).
    /// </summary>
    public static string? Check(AgentDatabase db, string serverName, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection? trustedRoots)
    {
        if (db.TlsMode == DatabaseTlsVerification.Insecure)
        {
            return null;
        }
        if (certificate is null)
        {
            return $"database {db.Name} presented no server certificate";
        }
        var cert = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (trustedRoots is { Count: > 0 })
        {
            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                var status = string.Join(", ", (chain?.ChainStatus ?? []).Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
                return $"database {db.Name} server certificate is not signed by the configured CA ({status})";
            }
        }
        else if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return $"database {db.Name} server certificate is not trusted by the system store: set tls.ca_file";
        }
        if (db.TlsMode == DatabaseTlsVerification.VerifyFull && !cert.MatchesHostname(serverName))
        {
            return $"database {db.Name} server certificate does not cover {serverName}: set tls.server_name or use tls.mode verify-ca";
        }
        return null;
    }
}
