using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

public sealed partial class CertificateIssuer
{
    /// <summary>
    /// Issues a host certificate from the host CA: subject CN=&lt;hostId&gt;, SAN with the DNS names and IPs,
    /// EKU serverAuth + clientAuth, and the Ferry host extension (<see cref="IdentityOids.HostIdentityExtension"/>)
    /// marking it as a host certificate of <paramref name="role"/>.
    /// </summary>
    /// <exception cref="InvalidCertificateRequestException">Empty host id, non-positive lifetime or invalid DNS name.</exception>
    public IssuedCertificate IssueHostCertificate(ClientPublicKey key, HostRole role, string hostId, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(ipAddresses);
        var subject = CommonNameOnly(hostId, "host id");
        var marker = CertificateWriter.Extension(IdentityOids.HostIdentityExtension, false, HostIdentityExtension.Encode(role, hostId, _store.ClusterName));
        if (dnsNames.Count == 0 && ipAddresses.Count == 0)
        {
            return Sign(CaKind.Host, subject, key, ttl, HostUsage, marker);
        }

        return Sign(CaKind.Host, subject, key, ttl, HostUsage, marker, AlternativeNames(dnsNames, ipAddresses));
    }

    private static byte[] AlternativeNames(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            if (!DnsNames.IsValid(name))
            {
                throw new InvalidCertificateRequestException($"\"{name}\" is not a valid DNS name: pass host names such as db1.example.com");
            }

            san.AddDnsName(name);
        }

        foreach (var ip in ipAddresses)
        {
            san.AddIpAddress(ip);
        }

        return CertificateWriter.Extension("2.5.29.17", false, san.Build(critical: false).RawData);
    }
}
