namespace Ferry.Identity;

/// <summary>Why a certificate was rejected. Checks run in this order: size and parse, usage, CA and signature, validity period, identity extension.</summary>
public enum VerificationFailure
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>The DER is not a well-formed X.509 v3 certificate.</summary>
    MalformedCertificate,

    /// <summary>The Ferry identity extension is larger than <see cref="IdentityLimits.MaxExtensionBytes"/>.</summary>
    OversizedExtension,

    /// <summary>The certificate is for another purpose: a host certificate presented as a user's, a CA certificate as a leaf, a missing EKU, another host role, an unknown critical extension.</summary>
    WrongUsage,

    /// <summary>No trusted key of this CA issued the certificate (foreign CA, or a rotated-out key).</summary>
    UnknownCa,

    /// <summary>The issuer matches a trusted key but the signature does not verify (tampered or corrupted).</summary>
    SignatureInvalid,

    /// <summary>NotBefore is in the future.</summary>
    NotYetValid,

    /// <summary>NotAfter has passed; <see cref="IdentityVerification{TIdentity}.TimeOutsideValidity"/> says how long ago.</summary>
    Expired,

    /// <summary>The Ferry identity extension is missing fields, not DER, of an unknown version, or disagrees with the subject.</summary>
    MalformedExtension,
}
