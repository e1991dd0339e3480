using System.Security.Cryptography.X509Certificates;
using Ferry.Identity;
using Ferry.Rbac;

namespace Ferry.Agent;

/// <summary>
/// What the agent needs from the auth service: role definitions, db-client certificates and
/// the current locks. Implemented over the auth API (through the proxy) for a standalone agent,
/// and in-process for <c>ferryd --all-in-one</c>.
/// </summary>
public interface IAgentAuthority
{
    /// <summary>The user CA roots the agent verifies forwarded user certificates against.</summary>
    IdentityVerifier UserVerifier { get; }

    /// <summary>Role documents by name; unknown names are left out.</summary>
    ValueTask<IReadOnlyList<RoleDocument>> GetRolesAsync(IReadOnlyList<string> names, CancellationToken ct);

    /// <summary>
    /// A short-lived client certificate (CN = <paramref name="dbUser"/>, with its private key) for a database, for a session
    /// of the user whose certificate (DER, as the proxy forwarded it) is <paramref name="userCertificate"/>: the auth
    /// service issues one only when that user may open <paramref name="dbName"/> as <paramref name="dbUser"/> on a
    /// database this agent registered. Cached per database and db user (every session is checked here first).
    /// </summary>
    ValueTask<X509Certificate2> GetDbClientCertificateAsync(string database, string dbUser, string dbName, ReadOnlyMemory<byte> userCertificate, CancellationToken ct);

    /// <summary>
    /// A db-client certificate for the health probe of <paramref name="database"/> (CN = <paramref name="dbUser"/>, the
    /// database's <c>health_check_user</c>), issued without a user session only for a db user the auth service lists in
    /// <c>auth.health_check_users</c>. Never used for sessions. Cached for most of its life.
    /// </summary>
    ValueTask<X509Certificate2> GetHealthCheckCertificateAsync(string database, string dbUser, CancellationToken ct);

    /// <summary>Returns the reason text when a lock covers this user, one of their roles, or the database; otherwise null.</summary>
    string? FindLock(UserIdentity identity, string database);
}
