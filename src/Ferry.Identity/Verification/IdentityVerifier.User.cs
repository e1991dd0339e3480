using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

public sealed partial class IdentityVerifier
{
    /// <summary>Verifies a user identity certificate.</summary>
    public IdentityVerification<UserIdentity> VerifyUser(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return VerifyUser(certificate.RawDataMemory);
    }

    /// <summary>Verifies a DER user identity certificate: usage, CA and signature, validity, then the identity extension.</summary>
    public IdentityVerification<UserIdentity> VerifyUser(ReadOnlyMemory<byte> der)
    {
        if (!CertificateView.TryParse(der, out var view))
        {
            return Fail<UserIdentity>(VerificationFailure.MalformedCertificate, "not a DER X.509 v3 certificate");
        }

        if (view.UserExtension is { Length: > IdentityLimits.MaxExtensionBytes } big)
        {
            return Fail<UserIdentity>(VerificationFailure.OversizedExtension, $"{big.Length} bytes, limit {IdentityLimits.MaxExtensionBytes}");
        }

        var usage = view switch
        {
            { HostExtension: not null } => "a host certificate was presented as a user certificate",
            { IsCa: true } => "a CA certificate was presented as a user certificate",
            { UnknownCriticalExtension: { } oid } => "unsupported critical extension " + oid,
            { ClientAuth: false } => "the certificate is not for client authentication",
            { UserExtension: null } => "the certificate carries no Ferry user identity",
            _ => null,
        };
        if (usage is not null)
        {
            return Fail<UserIdentity>(VerificationFailure.WrongUsage, usage);
        }

        if (CheckTrustAndTime<UserIdentity>(view) is { } failed)
        {
            return failed;
        }

        if (!UserIdentityExtension.TryDecode(view.UserExtension!.Value, view.NotBefore, view.NotAfter, view.SerialHex, out var identity))
        {
            return Fail<UserIdentity>(VerificationFailure.MalformedExtension, "the Ferry user identity extension does not decode");
        }

        if (!string.Equals(SafeCommonName(view), identity!.User, StringComparison.Ordinal))
        {
            return Fail<UserIdentity>(VerificationFailure.MalformedExtension, "the subject CN differs from the user in the identity");
        }

        if (view.SessionLimitExtension is { } limit)
        {
            if (!Ferry.Identity.SessionLimitExtension.TryDecode(limit, out var sessionNotAfter))
            {
                return Fail<UserIdentity>(VerificationFailure.MalformedExtension, "the Ferry session limit extension does not decode");
            }

            identity.SetSessionNotAfter(sessionNotAfter);
        }

        return IdentityVerification<UserIdentity>.Success(identity);
    }

    private static string? SafeCommonName(CertificateView view)
    {
        try
        {
            return view.SubjectCommonName();
        }
        catch (AsnContentException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
