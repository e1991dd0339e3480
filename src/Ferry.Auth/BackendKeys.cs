namespace Ferry.Auth;

/// <summary>Key layout in the backend.</summary>
internal static class BackendKeys
{
    public const string Users = "/users/";
    public const string Totp = "/totp/";
    public const string Roles = "/roles/";
    public const string Tokens = "/tokens/";
    public const string Locks = "/locks/";
    public const string Hosts = "/hosts/";
    public const string DatabaseBindings = "/db-bindings/";
    public const string SsoConnectors = "/sso/connectors/";

    public static string User(string name) => Users + name;

    public static string TotpUse(string name) => Totp + name;

    public static string Role(string name) => Roles + name;

    public static string Token(string id) => Tokens + id;

    public static string Lock(string id) => Locks + id;

    public static string Host(string id) => Hosts + id;

    public static string DatabaseBinding(string name) => DatabaseBindings + name;

    public static string SsoConnector(string name) => SsoConnectors + name;

    public const string MfaDevices = "/mfa-devices/";

    /// <summary>A user's TOTP devices (any user, local or SSO): <c>/mfa-devices/USER/NAME</c>.</summary>
    public static string MfaDevicesOf(string user) => MfaDevices + user + "/";

    public static string MfaDevice(string user, string name) => MfaDevicesOf(user) + name;

    /// <summary>The last step accepted from one device: <c>/mfa-use/USER/NAME</c>.</summary>
    public static string MfaDeviceUse(string user, string name) => "/mfa-use/" + user + "/" + name;

    /// <summary>An MFA grant, by the SHA-256 (hex) of its token: <c>/mfa-grants/HASH</c>.</summary>
    public static string MfaGrant(string tokenHash) => "/mfa-grants/" + tokenHash;

    public const string AccessRequests = "/access-requests/";

    /// <summary>An access request by id (a UUID): <c>/access-requests/ID</c>.</summary>
    public static string AccessRequest(string id) => AccessRequests + id;

    public const string Egress = "/egress/";

    /// <summary>
    /// Egress usage of one user × database × window length (× the access requests granting it, when any), one key per
    /// window: <c>/egress/HASH/WINDOW</c>.
    /// </summary>
    public static string EgressUsage(string user, string database, long perSeconds, long window, string grant = "")
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(user + "\n" + database + "\n" + perSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + (grant.Length == 0 ? "" : "\n" + grant)));
        return Egress + Convert.ToHexStringLower(hash.AsSpan(0, 16)) + "/" + window.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Written last by <c>ferryd admin backend migrate --from sqlite</c> once the state and CA keys are in (value: when):
    /// a second run skips the state and goes on with the audit history.
    /// </summary>
    public const string MigratedFromSqlite = "/migrations/sqlite";

    public const string CertificateAuthorities = "/ca/";

    /// <summary>One CA's key ring, private keys sealed (postgres backend only): <c>/ca/user</c>, <c>/ca/host</c>, <c>/ca/db-client</c>.</summary>
    public static string CertificateAuthority(Ferry.Identity.CaKind kind) => CertificateAuthorities + Ferry.Identity.CaKindNames.ToName(kind);
}
