using System.Net;
using System.Security.Cryptography;

namespace Ferry.Identity;

public sealed partial class CertificateIssuer
{
    /// <summary>
    /// Issues a db-client certificate from the db-client CA: subject exactly CN=&lt;dbUser&gt; (nothing else, so
    /// MariaDB <c>REQUIRE SUBJECT '/CN=&lt;user&gt;'</c> and PostgreSQL <c>cert</c> authentication match), EKU clientAuth.
    /// </summary>
    /// <exception cref="InvalidCertificateRequestException">Empty database user or non-positive lifetime.</exception>
    public IssuedCertificate IssueDbClientCertificate(ClientPublicKey key, string dbUser, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Sign(CaKind.DbClient, CommonNameOnly(dbUser, "database user"), key, ttl, ClientUsage);
    }

    /// <summary>
    /// Generates a key pair server-side and issues a database server certificate from the db-client CA for an
    /// operator to install on a database host: subject CN = first DNS name (else first IP), SAN with all names,
    /// EKU serverAuth. The bundle's CA PEM holds every trusted db-client root.
    /// </summary>
    /// <exception cref="InvalidCertificateRequestException">No names, an invalid DNS name or a non-positive lifetime.</exception>
    public DatabaseServerBundle ExportDatabaseServerBundle(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(ipAddresses);
        if (dnsNames.Count == 0 && ipAddresses.Count == 0)
        {
            throw new InvalidCertificateRequestException("a database server certificate needs at least one DNS name or IP address");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = ClientPublicKey.FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo());
        var commonName = dnsNames.Count > 0 ? dnsNames[0] : ipAddresses[0].ToString();
        var certificate = Sign(CaKind.DbClient, CommonNameOnly(commonName, "server name"), publicKey, ttl,
            ServerUsage, AlternativeNames(dnsNames, ipAddresses));
        return new DatabaseServerBundle(certificate.ToPem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n", _store.ExportTrustedRootsPem(CaKind.DbClient));
    }
}
