namespace Ferry.Identity;

/// <summary>Size limits applied when issuing and verifying.</summary>
public static class IdentityLimits
{
    /// <summary>Largest accepted Ferry identity extension value (16 KiB). Larger ones are refused at issue and rejected at verification.</summary>
    public const int MaxExtensionBytes = 16 * 1024;

    /// <summary>Largest accepted certificate (checked before parsing).</summary>
    public const int MaxCertificateBytes = 64 * 1024;

    /// <summary>NotBefore is backdated by this much to tolerate clock skew.</summary>
    public static readonly TimeSpan ClockSkewBackdate = TimeSpan.FromMinutes(1);
}
