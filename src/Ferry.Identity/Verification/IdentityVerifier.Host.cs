using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

public sealed partial class IdentityVerifier
{
    /// <summary>Verifies a host certificate, optionally requiring a role (e.g. agents accept tunnels only from proxies).</summary>
    public IdentityVerification<HostIdentity> VerifyHost(X509Certificate2 certificate, HostRole? requiredRole = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return VerifyHost(certificate.RawDataMemory, requiredRole);
    }

    /// <summary>Verifies a DER host certificate, optionally requiring a role.</summary>
    public IdentityVerification<HostIdentity> VerifyHost(ReadOnlyMemory<byte> der, HostRole? requiredRole = null)
    {
        if (!CertificateView.TryParse(der, out var view))
        {
            return Fail<HostIdentity>(VerificationFailure.MalformedCertificate, "not a DER X.509 v3 certificate");
        }

        if (view.HostExtension is { Length: > IdentityLimits.MaxExtensionBytes } big)
        {
            return Fail<HostIdentity>(VerificationFailure.OversizedExtension, $"{big.Length} bytes, limit {IdentityLimits.MaxExtensionBytes}");
        }

        var usage = view switch
        {
            { UserExtension: not null } => "a user certificate was presented as a host certificate",
            { IsCa: true } => "a CA certificate was presented as a host certificate",
            { UnknownCriticalExtension: { } oid } => "unsupported critical extension " + oid,
            { ServerAuth: false, ClientAuth: false } => "the certificate is not for TLS authentication",
            { HostExtension: null } => "the certificate carries no Ferry host marker",
            _ => null,
        };
        if (usage is not null)
        {
            return Fail<HostIdentity>(VerificationFailure.WrongUsage, usage);
        }

        if (CheckTrustAndTime<HostIdentity>(view) is { } failed)
        {
            return failed;
        }

        if (!HostIdentityExtension.TryDecode(view.HostExtension!.Value, out var role, out var hostId, out var cluster))
        {
            return Fail<HostIdentity>(VerificationFailure.MalformedExtension, "the Ferry host extension does not decode");
        }

        if (!string.Equals(SafeCommonName(view), hostId, StringComparison.Ordinal))
        {
            return Fail<HostIdentity>(VerificationFailure.MalformedExtension, "the subject CN differs from the host id");
        }

        if (requiredRole is { } required && required != role)
        {
            return Fail<HostIdentity>(VerificationFailure.WrongUsage,
                $"a {ProtocolNames.ToName(role)} host certificate was presented where a {ProtocolNames.ToName(required)} is required");
        }

        (string[] Dns, System.Net.IPAddress[] Ips) names;
        try
        {
            names = view.AlternativeNames();
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException)
        {
            return Fail<HostIdentity>(VerificationFailure.MalformedExtension, "the subject alternative names do not decode");
        }

        return IdentityVerification<HostIdentity>.Success(new HostIdentity
        {
            HostId = hostId,
            Role = role,
            ClusterName = cluster,
            DnsNames = names.Dns,
            IpAddresses = names.Ips,
            NotBefore = view.NotBefore,
            NotAfter = view.NotAfter,
            SerialNumber = view.SerialHex,
        });
    }
}
