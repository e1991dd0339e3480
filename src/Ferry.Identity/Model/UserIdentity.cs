namespace Ferry.Identity;

/// <summary>
/// Who a user certificate speaks for. Carried in the Ferry user identity extension
/// (<see cref="IdentityOids.UserIdentityExtension"/>); the subject CN repeats <see cref="User"/>.
/// </summary>
public sealed class UserIdentity
{
    /// <summary>User name (also the certificate's CN).</summary>
    public required string User { get; init; }

    /// <summary>Name of the cluster whose user CA issued the certificate.</summary>
    public required string ClusterName { get; init; }

    /// <summary>Role names, in the order given at issue.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Traits (from the user record or SSO claims): name to values. Encoded sorted by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Traits { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>Target database, or null for a certificate not routed to one database.</summary>
    public DatabaseRoute? Route { get; init; }

    /// <summary>Ids of the approved access requests active in this session.</summary>
    public IReadOnlyList<string> AccessRequestIds { get; init; } = [];

    /// <summary>Whether the user passed a second factor when the certificate was issued.</summary>
    public bool MfaVerified { get; init; }

    /// <summary>
    /// Single sign-on connector the user logged in with, or "" for a local user. Appended last in the identity
    /// extension (older certificates without it read as ""); SSO users have no local record, so their roles and
    /// traits are the ones this certificate carries.
    /// </summary>
    public string Connector { get; init; } = "";

    /// <summary>
    /// Resources (<c>db/NAME</c>) an approved access request for resources limits its roles to. Appended last in the
    /// identity extension (after <see cref="Connector"/>, and only when not empty: older certificates read as empty).
    /// When not empty, a certificate's roles allow nothing on a database outside the list (the auth service only puts a
    /// resource request's roles in a routed certificate whose database is in it; see <c>RbacEvaluator</c>).
    /// </summary>
    public IReadOnlyList<string> ResourceIds { get; init; } = [];

    /// <summary>
    /// For a session-MFA certificate: how long a session opened while the certificate was valid may keep running
    /// (the login's end, capped by the roles' <c>max_session_ttl</c>); null otherwise (sessions end at <see cref="NotAfter"/>).
    /// Carried in its own extension (<see cref="IdentityOids.SessionLimitExtension"/>).
    /// </summary>
    public DateTimeOffset? SessionNotAfter
    {
        get => _sessionNotAfter;
        init => _sessionNotAfter = value;
    }

    private DateTimeOffset? _sessionNotAfter;

    internal void SetSessionNotAfter(DateTimeOffset? value) => _sessionNotAfter = value;

    /// <summary>Start of validity (filled in from the certificate on verification; ignored on issue).</summary>
    public DateTimeOffset NotBefore { get; init; }

    /// <summary>End of validity, i.e. the session expiry (filled in from the certificate on verification; ignored on issue).</summary>
    public DateTimeOffset NotAfter { get; init; }

    /// <summary>Certificate serial number in lower-case hex (filled in on verification; for audit).</summary>
    public string SerialNumber { get; init; } = "";
}
