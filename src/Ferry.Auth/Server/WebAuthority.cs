using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Rbac;
using Ferry.Web;

namespace Ferry.Auth.Server;

/// <summary>
/// The auth service as the web UI sees it: the very login, certificate and database-list code of <c>/v1/login</c>,
/// <c>/v1/certs/user</c> and <c>/v1/databases</c>, with <see cref="AuthException"/> turned into <see cref="WebApiException"/>.
/// </summary>
internal sealed partial class WebAuthority(AuthService service, TimeProvider time) : IWebAuthority
{
    public TimeProvider Time => time;

    public IdentityVerifier UserVerifier => service.UserVerifier;

    public IdentityVerifier HostVerifier => service.HostVerifier;

    public Task<UserCertificateResponse> LoginAsync(LoginRequest request, string clientAddr, CancellationToken ct) =>
        Translate(() => service.LoginAsync(request, clientAddr, "web", ct));

    public Task<UserCertificateResponse> IssueRoutedAsync(UserIdentity presented, UserCertificateRequest request, string clientAddr, CancellationToken ct) =>
        Translate(() => service.ReissueUserCertificateAsync(presented, request, clientAddr, ct));

    public Task<IReadOnlyList<WebDatabaseView>> ListDatabasesAsync(UserIdentity user, CancellationToken ct) => Translate(async () =>
    {
        var list = await service.ListDatabasesAsync(user, ct).ConfigureAwait(false);
        var rbac = new RbacEvaluator(await service.ResolveRolesAsync(user.Roles, ct).ConfigureAwait(false), user.Traits);
        return (IReadOnlyList<WebDatabaseView>)[.. list.Databases.Select(db =>
        {
            var target = new DatabaseTarget(db.Name, db.Labels);
            var users = (db.DbUsers ?? []).Where(u => u != "*").ToList();
            var mfa = users.Count == 0 ? rbac.RequireSessionMfa : users.Any(u => rbac.RequiresSessionMfa(target, u, ""));
            return new WebDatabaseView(db, mfa);
        })];
    });

    public Task<WebCapabilities> CapabilitiesAsync(UserIdentity user, CancellationToken ct) => Translate(async () =>
    {
        var roles = await service.ResolveRolesAsync(user.Roles, ct).ConfigureAwait(false);
        var devices = await service.ListMfaDevicesAsync(user, ct).ConfigureAwait(false);
        return new WebCapabilities(
            Audit: roles.Any(r => r.Options.AuditSearch),
            Admin: user.Roles.Contains(BuiltInRoles.AdminName),
            Review: roles.Any(r => r.Allow.ReviewRequests is not null),
            Totp: devices.Devices.Count > 0,
            WebAuthn: (await service.WebAuthnDevicesAsync(user.User, ct).ConfigureAwait(false)).Count > 0);
    });

    public Task<List<AccessRequestInfo>> ListAccessRequestsAsync(UserIdentity user, CancellationToken ct) =>
        Translate(() => service.ListAccessRequestsAsync(user, null, ct));

    public Task<AccessRequestInfo> CreateAccessRequestAsync(UserIdentity user, AccessRequestCreate request, string clientAddr, CancellationToken ct) =>
        Translate(() => service.CreateAccessRequestAsync(user, request, clientAddr, ct));

    public Task<AccessRequestInfo> ReviewAccessRequestAsync(UserIdentity user, string id, AccessRequestReview review, string clientAddr, CancellationToken ct) =>
        Translate(() => service.ReviewAccessRequestAsync(user, id, review, clientAddr, ct: ct));

    public Task RequireNotLockedAsync(UserIdentity user, CancellationToken ct) =>
        Translate(async () =>
        {
            await service.RequireUserNotLockedAsync(user, ct).ConfigureAwait(false);
            return true;
        });

    public void Audit(AuditEventKind kind, string user, bool success, string? error, string clientAddr, Dictionary<string, string> details, IReadOnlyList<string>? roles) =>
        service.Emit(kind, user, success, error, clientAddr, details, roles);

    private static async Task<T> Translate<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AuthException e)
        {
            throw new WebApiException(e.StatusCode, WebApiException.CodeFor(e.StatusCode), e.Message, e.RetryAfter);
        }
        catch (RoleValidationException e)
        {
            throw new WebApiException(400, "bad_request", e.Message);
        }
    }
}
