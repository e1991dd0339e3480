namespace Ferry.Identity;

/// <summary>
/// Object identifiers Ferry defines. They live under the UUID arc 2.25 (ITU-T X.667), which
/// gives a globally unique OID without registration: the UUID e88ead30-dcb7-4a93-993e-e5b5a235c068
/// as an integer is 309121713904133948224125135180476563560, and Ferry owns every arc below it.
/// (1.3.6.1.4.1.57264 was not used: that private-enterprise number belongs to Sigstore.)
/// </summary>
public static class IdentityOids
{
    /// <summary>Arc owned by Ferry.</summary>
    public const string FerryArc = "2.25.309121713904133948224125135180476563560";

    /// <summary>
    /// Non-critical extension carried by user certificates. extnValue is the DER of:
    /// <code>
    /// FerryUserIdentity ::= SEQUENCE {
    ///   version          INTEGER (1),
    ///   user             UTF8String,
    ///   roles            SEQUENCE OF UTF8String,
    ///   traits           SEQUENCE OF SEQUENCE { name UTF8String, values SEQUENCE OF UTF8String },  -- sorted by name
    ///   route        [0] SEQUENCE { service UTF8String, protocol UTF8String ("postgres" | "mysql"),
    ///                               dbUser UTF8String, dbName UTF8String } OPTIONAL,
    ///   accessRequests   SEQUENCE OF UTF8String,
    ///   mfaVerified      BOOLEAN,
    ///   clusterName      UTF8String }
    /// </code>
    /// </summary>
    public const string UserIdentityExtension = FerryArc + ".1";

    /// <summary>
    /// Non-critical extension marking a host certificate. extnValue is the DER of:
    /// <code>
    /// FerryHostIdentity ::= SEQUENCE {
    ///   version     INTEGER (1),
    ///   role        UTF8String ("auth" | "proxy" | "agent"),
    ///   hostId      UTF8String,
    ///   clusterName UTF8String }
    /// </code>
    /// </summary>
    public const string HostIdentityExtension = FerryArc + ".2";

    /// <summary>
    /// Non-critical extension of a session-MFA user certificate (one that lives a minute for opening connections):
    /// the latest time a session opened with it may run. extnValue is the DER of
    /// <code>FerrySessionLimit ::= GeneralizedTime</code>
    /// A reader that does not know it ends sessions at the certificate's NotAfter.
    /// </summary>
    public const string SessionLimitExtension = FerryArc + ".3";

    /// <summary>id-kp-clientAuth.</summary>
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>id-kp-serverAuth.</summary>
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
}
