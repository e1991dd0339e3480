using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;

namespace Ferry.Auth.Hosting;

/// <summary>
/// The host certificate of a role running beside the auth service (<c>ferryd --all-in-one</c>): issued
/// in-process for 24 h, re-issued at its <see cref="CertificateRenewal"/> time.
/// </summary>
internal sealed class InProcessHostCertificate(CertificateIssuer issuer, HostRole role, string hostId, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ips)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(24);
    private readonly Lock _lock = new();
    private X509Certificate2? _current;
    private DateTimeOffset _renewAt;

    public X509Certificate2 Current()
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            if (_current is null || now >= _renewAt)
            {
                using var key = KeyPair.Generate();
                var issued = issuer.IssueHostCertificate(ClientPublicKey.FromPem(key.ExportPublicKeyPem()), role, hostId, dnsNames, ips, Ttl);
                _current = TlsCertificates.FromPem(issued.ToPem(), key.ExportPrivateKeyPem());
                _renewAt = CertificateRenewal.RenewAt(now, now + Ttl);
            }
            return _current;
        }
    }
}
