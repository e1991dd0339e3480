using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Web;

/// <summary>
/// What the web UI needs from the auth service, supplied by the auth service itself (Ferry.Auth implements it over
/// <c>AuthService</c>), so that a web login, a console's certificate, the database list and the audit go through
/// exactly the code, throttles and checks of <c>/v1/login</c>, <c>/v1/certs/user</c> and <c>/v1/databases</c>.
/// Refusals are thrown as <see cref="WebApiException"/> with the auth service's status and message.
/// </summary>
public partial interface IWebAuthority
{
    TimeProvider Time { get; }

    /// <summary>Verifies (and reads) the user certificates the auth service issues to web sessions.</summary>
    IdentityVerifier UserVerifier { get; }

    /// <summary>Verifies the proxy's host certificate when a console connects to it.</summary>
    IdentityVerifier HostVerifier { get; }

    /// <summary>Password + TOTP login for a key made for one web session (audited as <c>user.login</c>, method <c>web</c>).</summary>
    Task<UserCertificateResponse> LoginAsync(LoginRequest request, string clientAddr, CancellationToken ct);

    /// <summary>A certificate routed to a database for a console (session MFA included), as <c>POST /v1/certs/user</c>.</summary>
    Task<UserCertificateResponse> IssueRoutedAsync(UserIdentity presented, UserCertificateRequest request, string clientAddr, CancellationToken ct);

    /// <summary>The databases the user's roles see, as <c>GET /v1/databases</c>, with whether each requires session MFA.</summary>
    Task<IReadOnlyList<WebDatabaseView>> ListDatabasesAsync(UserIdentity user, CancellationToken ct);

    /// <summary>What the user's current roles allow in the UI.</summary>
    Task<WebCapabilities> CapabilitiesAsync(UserIdentity user, CancellationToken ct);

    /// <summary>The user's access requests and those the user may review, as <c>GET /v1/access-requests</c>.</summary>
    Task<List<AccessRequestInfo>> ListAccessRequestsAsync(UserIdentity user, CancellationToken ct);

    /// <summary>Creates an access request, as <c>POST /v1/access-requests</c>.</summary>
    Task<AccessRequestInfo> CreateAccessRequestAsync(UserIdentity user, AccessRequestCreate request, string clientAddr, CancellationToken ct);

    /// <summary>Reviews an access request, as <c>POST /v1/access-requests/{id}/review</c>.</summary>
    Task<AccessRequestInfo> ReviewAccessRequestAsync(UserIdentity user, string id, AccessRequestReview review, string clientAddr, CancellationToken ct);

    /// <summary>Refuses (403) when a lock covers the user or one of the roles.</summary>
    Task RequireNotLockedAsync(UserIdentity user, CancellationToken ct);

    /// <summary>Emits an audit event from the auth service.</summary>
    void Audit(AuditEventKind kind, string user, bool success, string? error, string clientAddr, Dictionary<string, string> details, IReadOnlyList<string>? roles);
}

/// <summary>One database of <see cref="IWebAuthority.ListDatabasesAsync"/>.</summary>
public sealed record WebDatabaseView(DatabaseEntry Entry, bool RequireSessionMfa);

/// <summary>What a web session's roles allow: audit search, administration, reviewing access requests; and enrolled MFA kinds.</summary>
public sealed record WebCapabilities(bool Audit, bool Admin, bool Review, bool Totp, bool WebAuthn);
