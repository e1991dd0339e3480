namespace Ferry.Rbac;

/// <summary>
/// The outcome of an RBAC check. <see cref="Reason"/> is meant for people and audit events, e.g.
/// <c>role "developer" deny db_labels env=prod</c> or
/// <c>no role allows db user "postgres" (allowed: readonly, alice)</c>.
/// </summary>
/// <param name="Allowed">Whether access is granted.</param>
/// <param name="Reason">Why; names the role and rule that decided.</param>
/// <param name="Role">The role that allowed or denied, when a single role decided.</param>
public sealed record AccessDecision(bool Allowed, string Reason, string? Role)
{
    internal static AccessDecision Allow(string role, string reason) => new(true, reason, role);

    internal static AccessDecision Deny(string reason, string? role = null) => new(false, reason, role);
}
