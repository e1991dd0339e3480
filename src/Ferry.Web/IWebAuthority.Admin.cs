using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Web;

/// <summary>
/// Administration for users whose roles make them admin (the built-in <c>admin</c> role, as <c>can.admin</c>): the very
/// AuthService operations <c>ferryd admin</c> runs, with the web user as the actor of every audit event. 403 otherwise.
/// </summary>
public partial interface IWebAuthority
{
    Task<List<UserInfo>> AdminListUsersAsync(UserIdentity admin, CancellationToken ct);

    /// <summary>As <c>ferryd admin users add</c>: the password (generated when null) and the TOTP enrolment, shown once.</summary>
    Task<WebCredentials> AdminAddUserAsync(UserIdentity admin, string name, IReadOnlyList<string> roles, IReadOnlyDictionary<string, List<string>>? traits, string? password, CancellationToken ct);

    /// <summary>As <c>ferryd admin users reset</c>.</summary>
    Task<WebCredentials> AdminResetUserAsync(UserIdentity admin, string name, string? password, CancellationToken ct);

    Task AdminRemoveUserAsync(UserIdentity admin, string name, CancellationToken ct);

    Task<List<RoleInfo>> AdminListRolesAsync(UserIdentity admin, CancellationToken ct);

    Task<RoleInfo> AdminGetRoleAsync(UserIdentity admin, string name, CancellationToken ct);

    /// <summary>Validates <paramref name="yaml"/> (one role named <paramref name="name"/>) with the validator of <c>ferryd admin roles apply</c> and stores it; the errors with line:col otherwise.</summary>
    Task<WebRoleSave> AdminSaveRoleAsync(UserIdentity admin, string name, string yaml, CancellationToken ct);

    Task AdminRemoveRoleAsync(UserIdentity admin, string name, CancellationToken ct);

    Task<List<LockInfo>> AdminListLocksAsync(UserIdentity admin, CancellationToken ct);

    Task<LockInfo> AdminAddLockAsync(UserIdentity admin, string kind, string target, string? message, TimeSpan? ttl, CancellationToken ct);

    Task AdminRemoveLockAsync(UserIdentity admin, string id, CancellationToken ct);

    /// <summary>Join tokens without their secrets.</summary>
    Task<List<JoinTokenInfo>> AdminListTokensAsync(UserIdentity admin, CancellationToken ct);

    /// <summary>A new join token; its secret is in <see cref="JoinTokenInfo.Token"/> this once.</summary>
    Task<JoinTokenInfo> AdminAddTokenAsync(UserIdentity admin, string role, TimeSpan ttl, bool multiUse, CancellationToken ct);

    Task AdminRemoveTokenAsync(UserIdentity admin, string id, CancellationToken ct);

    Task<List<HostInfo>> AdminListHostsAsync(UserIdentity admin, CancellationToken ct);
}

/// <summary>What <c>users add|reset</c> hand over once. <see cref="Password"/> is null when the admin chose it.</summary>
public sealed record WebCredentials(string User, string? Password, string TotpSecret, string OtpAuthUri);

/// <summary>A role saved (<see cref="Name"/>) or refused with its problems (<see cref="Errors"/>, line:col each).</summary>
public sealed record WebRoleSave(string? Name, IReadOnlyList<WebRoleError> Errors);

/// <summary>One problem of a role's YAML: where, which field, what.</summary>
public sealed record WebRoleError(long Line, long Column, string Path, string Message, string Text);
