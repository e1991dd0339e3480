using Ferry.Text;

namespace Ferry.Identity;

/// <summary>Human messages for verification failures: the cause, then the fix.</summary>
public static class VerificationMessages
{
    /// <summary>Describes a failure of a certificate checked against a CA of <paramref name="kind"/>.</summary>
    public static string Describe(CaKind kind, VerificationFailure failure, string detail, TimeSpan outside)
    {
        var fix = kind switch
        {
            CaKind.User => "run `ferry login`",
            CaKind.Host => "re-join the host with a new join token (`ferry admin tokens add`)",
            _ => "let the agent request a new db-client certificate (restart it if this persists)",
        };
        return failure switch
        {
            VerificationFailure.None => "certificate accepted",
            VerificationFailure.Expired => $"certificate expired {DurationText.Format(outside)} ago: {fix}",
            VerificationFailure.NotYetValid => $"certificate is not valid for another {DurationText.Format(outside)}: check the clocks of this machine and the auth server (NTP)",
            VerificationFailure.UnknownCa => $"certificate was not issued by this cluster's {kind.ToName()} CA (wrong cluster, or the CA was rotated): {fix}",
            VerificationFailure.SignatureInvalid => $"certificate signature does not verify against the {kind.ToName()} CA (corrupted or tampered): {fix}",
            VerificationFailure.WrongUsage => $"certificate cannot be used here ({detail}): use the {ExpectedCertificate(kind)}",
            VerificationFailure.OversizedExtension => $"certificate identity is too large ({detail}): ask an administrator to reduce the roles, traits or access requests, then {fix}",
            VerificationFailure.MalformedExtension => $"certificate identity is malformed ({detail}): {fix}; if it persists, upgrade ferry on both ends",
            VerificationFailure.MalformedCertificate => $"certificate is not a valid X.509 certificate: {fix}",
            _ => $"certificate rejected ({failure}): {fix}",
        };
    }

    private static string ExpectedCertificate(CaKind kind) => kind switch
    {
        CaKind.User => "user certificate from `ferry login`",
        CaKind.Host => "host certificate issued when this host joined",
        _ => "db-client certificate issued by the auth service",
    };
}
