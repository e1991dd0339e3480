using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// <see cref="RemoteCertificateValidationCallback"/> factories that decide with an <see cref="IdentityVerifier"/>
/// instead of the system trust store. The platform's chain errors are ignored (Ferry's CAs are not in the
/// system store); a missing certificate is always refused. Create one callback per connection to receive its result.
/// </summary>
public static class TlsValidation
{
    /// <summary>
    /// A chain policy that trusts exactly <paramref name="roots"/>, with revocation checks and certificate
    /// downloads off, for an <c>SslStream</c>'s own chain build (which otherwise searches the system trust
    /// store in every handshake) or an <see cref="X509Chain"/>.
    /// </summary>
    public static X509ChainPolicy TrustOnly(IEnumerable<X509Certificate2> roots)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        foreach (var root in roots)
        {
            policy.CustomTrustStore.Add(root);
        }

        return policy;
    }

    /// <summary>For servers (proxy, agent): requires a valid user certificate from the client and reports the verification.</summary>
    public static RemoteCertificateValidationCallback ForUserClients(IdentityVerifier verifier, Action<IdentityVerification<UserIdentity>>? onVerified = null)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return false;
            }

            var result = verifier.VerifyUser(RawData(certificate));
            onVerified?.Invoke(result);
            return result.IsValid;
        };
    }

    /// <summary>
    /// For either side of a host-to-host connection (agent ↔ proxy, proxy ↔ auth): requires a valid host certificate,
    /// optionally of <paramref name="requiredRole"/>, and reports the verification.
    /// </summary>
    public static RemoteCertificateValidationCallback ForHosts(IdentityVerifier verifier, HostRole? requiredRole = null, Action<IdentityVerification<HostIdentity>>? onVerified = null)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return false;
            }

            var result = verifier.VerifyHost(RawData(certificate), requiredRole);
            onVerified?.Invoke(result);
            return result.IsValid;
        };
    }

    private static ReadOnlyMemory<byte> RawData(X509Certificate certificate) =>
        certificate is X509Certificate2 full ? full.RawDataMemory : certificate.GetRawCertData();
}
