using System.Globalization;
using Ferry.Text;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

/// <summary>
/// <c>/web/api/admin/*</c>: users, roles (YAML with line:col errors), locks, join tokens and hosts for admins, over the
/// AuthService operations of <c>ferryd admin</c> (audited there with the web user as actor). CSRF and the body limits
/// come from <see cref="Api"/>; refusals are counted, logged and audited like every web refusal.
/// </summary>
public sealed partial class WebUi
{
    /// <summary>Largest role YAML accepted (the JSON body around it may be up to twice as large once escaped).</summary>
    public const int MaxRoleYaml = 64 * 1024;

    private const long AdminBody = 8 * 1024;

    partial void MapAdmin(IEndpointRouteBuilder app)
    {
        app.MapGet("/web/api/admin/users", Api(AdminUsersAsync));
        app.MapPost("/web/api/admin/users", Api(AdminAddUserAsync, maxBody: AdminBody));
        app.MapPost("/web/api/admin/users/{name}/reset", Api(AdminResetUserAsync, maxBody: AdminBody));
        app.MapDelete("/web/api/admin/users/{name}", Api(AdminRemoveUserAsync));
        app.MapGet("/web/api/admin/roles", Api(AdminRolesAsync));
        app.MapGet("/web/api/admin/roles/{name}", Api(AdminRoleAsync));
        app.MapPut("/web/api/admin/roles/{name}", Api(AdminSaveRoleAsync, maxBody: 2L * MaxRoleYaml + 1024));
        app.MapDelete("/web/api/admin/roles/{name}", Api(AdminRemoveRoleAsync));
        app.MapGet("/web/api/admin/locks", Api(AdminLocksAsync));
        app.MapPost("/web/api/admin/locks", Api(AdminAddLockAsync, maxBody: AdminBody));
        app.MapDelete("/web/api/admin/locks/{id}", Api(AdminRemoveLockAsync));
        app.MapGet("/web/api/admin/tokens", Api(AdminTokensAsync));
        app.MapPost("/web/api/admin/tokens", Api(AdminAddTokenAsync, maxBody: AdminBody));
        app.MapDelete("/web/api/admin/tokens/{id}", Api(AdminRemoveTokenAsync));
        app.MapGet("/web/api/admin/hosts", Api(AdminHostsAsync));
    }

    private async Task AdminUsersAsync(HttpContext context, WebSession? session)
    {
        var users = await Audited(context, session!, () => _authority.AdminListUsersAsync(session!.Identity, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, new AdminUsers { Users = users }, WebAdminJsonContext.Default.AdminUsers).ConfigureAwait(false);
    }

    private async Task AdminAddUserAsync(HttpContext context, WebSession? session)
    {
        await RequireAdminAsync(context, session!).ConfigureAwait(false);
        var body = await ReadAsync(context, WebAdminJsonContext.Default.AdminUserAdd).ConfigureAwait(false);
        var c = await Audited(context, session!, () => _authority.AdminAddUserAsync(session!.Identity, body.Name ?? "", body.Roles ?? [], body.Traits,
            string.IsNullOrEmpty(body.Password) ? null : body.Password, context.RequestAborted)).ConfigureAwait(false);
        await WriteCredentialsAsync(context, c, StatusCodes.Status201Created).ConfigureAwait(false);
    }

    private async Task AdminResetUserAsync(HttpContext context, WebSession? session)
    {
        await RequireAdminAsync(context, session!).ConfigureAwait(false);
        var body = await ReadAsync(context, WebAdminJsonContext.Default.AdminUserReset).ConfigureAwait(false);
        var c = await Audited(context, session!, () => _authority.AdminResetUserAsync(session!.Identity, Route(context, "name"),
            string.IsNullOrEmpty(body.Password) ? null : body.Password, context.RequestAborted)).ConfigureAwait(false);
        await WriteCredentialsAsync(context, c, StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private Task WriteCredentialsAsync(HttpContext context, WebCredentials c, int status) =>
        WriteAsync(context, new AdminCredentials { User = c.User, Password = c.Password, TotpSecret = c.TotpSecret, OtpauthUri = c.OtpAuthUri },
            WebAdminJsonContext.Default.AdminCredentials, status);

    private async Task AdminRemoveUserAsync(HttpContext context, WebSession? session)
    {
        await Audited(context, session!, async () =>
        {
            await _authority.AdminRemoveUserAsync(session!.Identity, Route(context, "name"), context.RequestAborted).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task AdminRolesAsync(HttpContext context, WebSession? session)
    {
        var roles = await Audited(context, session!, () => _authority.AdminListRolesAsync(session!.Identity, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, new AdminRoles { Roles = roles }, WebAdminJsonContext.Default.AdminRoles).ConfigureAwait(false);
    }

    private async Task AdminRoleAsync(HttpContext context, WebSession? session)
    {
        var role = await Audited(context, session!, () => _authority.AdminGetRoleAsync(session!.Identity, Route(context, "name"), context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, role, WebAdminJsonContext.Default.RoleInfo).ConfigureAwait(false);
    }

    private async Task AdminSaveRoleAsync(HttpContext context, WebSession? session)
    {
        await RequireAdminAsync(context, session!).ConfigureAwait(false);
        var body = await ReadAsync(context, WebAdminJsonContext.Default.AdminRolePut).ConfigureAwait(false);
        var yaml = body.Yaml ?? "";
        if (yaml.Length == 0)
        {
            throw WebApiException.BadRequest("yaml is empty: send the role as YAML in {\"yaml\": \"...\"}");
        }

        if (yaml.Length > MaxRoleYaml)
        {
            throw new WebApiException(413, "too_large", string.Create(CultureInfo.InvariantCulture, $"the role YAML is {yaml.Length} characters; at most {MaxRoleYaml} are accepted"));
        }

        var saved = await Audited(context, session!, () => _authority.AdminSaveRoleAsync(session!.Identity, Route(context, "name"), yaml, context.RequestAborted)).ConfigureAwait(false);
        if (saved.Name is { } name)
        {
            await WriteAsync(context, new AdminRoleSaved { Role = name }, WebAdminJsonContext.Default.AdminRoleSaved).ConfigureAwait(false);
            return;
        }

        await WriteAsync(context, new AdminRoleInvalid
        {
            Error = string.Join('\n', saved.Errors.Select(e => e.Text)),
            Errors = [.. saved.Errors.Select(e => new AdminRoleError { Line = e.Line, Column = e.Column, Path = e.Path, Message = e.Message })],
        }, WebAdminJsonContext.Default.AdminRoleInvalid, StatusCodes.Status400BadRequest).ConfigureAwait(false);
    }

    private async Task AdminRemoveRoleAsync(HttpContext context, WebSession? session)
    {
        await Audited(context, session!, async () =>
        {
            await _authority.AdminRemoveRoleAsync(session!.Identity, Route(context, "name"), context.RequestAborted).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task AdminLocksAsync(HttpContext context, WebSession? session)
    {
        var locks = await Audited(context, session!, () => _authority.AdminListLocksAsync(session!.Identity, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, new AdminLocks { Locks = locks }, WebAdminJsonContext.Default.AdminLocks).ConfigureAwait(false);
    }

    private async Task AdminAddLockAsync(HttpContext context, WebSession? session)
    {
        await RequireAdminAsync(context, session!).ConfigureAwait(false);
        var body = await ReadAsync(context, WebAdminJsonContext.Default.AdminLockAdd).ConfigureAwait(false);
        var ttl = string.IsNullOrWhiteSpace(body.Ttl) ? (TimeSpan?)null : ParseTtl(body.Ttl);
        if ((body.Message?.Length ?? 0) > 512)
        {
            throw WebApiException.BadRequest("message is longer than 512 characters");
        }

        var info = await Audited(context, session!, () => _authority.AdminAddLockAsync(session!.Identity, body.Kind ?? "", body.Target ?? "",
            string.IsNullOrWhiteSpace(body.Message) ? null : body.Message.Trim(), ttl, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, info, WebAdminJsonContext.Default.LockInfo, StatusCodes.Status201Created).ConfigureAwait(false);
    }

    private async Task AdminRemoveLockAsync(HttpContext context, WebSession? session)
    {
        await Audited(context, session!, async () =>
        {
            await _authority.AdminRemoveLockAsync(session!.Identity, Route(context, "id"), context.RequestAborted).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task AdminTokensAsync(HttpContext context, WebSession? session)
    {
        var tokens = await Audited(context, session!, () => _authority.AdminListTokensAsync(session!.Identity, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, new AdminTokens { Tokens = tokens }, WebAdminJsonContext.Default.AdminTokens).ConfigureAwait(false);
    }

    private async Task AdminAddTokenAsync(HttpContext context, WebSession? session)
    {
        await RequireAdminAsync(context, session!).ConfigureAwait(false);
        var body = await ReadAsync(context, WebAdminJsonContext.Default.AdminTokenAdd).ConfigureAwait(false);
        var ttl = string.IsNullOrWhiteSpace(body.Ttl) ? TimeSpan.FromHours(1) : ParseTtl(body.Ttl);
        var token = await Audited(context, session!, () => _authority.AdminAddTokenAsync(session!.Identity, body.Role ?? "", ttl, body.MultiUse, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, token, WebAdminJsonContext.Default.JoinTokenInfo, StatusCodes.Status201Created).ConfigureAwait(false);
    }

    private async Task AdminRemoveTokenAsync(HttpContext context, WebSession? session)
    {
        await Audited(context, session!, async () =>
        {
            await _authority.AdminRemoveTokenAsync(session!.Identity, Route(context, "id"), context.RequestAborted).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task AdminHostsAsync(HttpContext context, WebSession? session)
    {
        var hosts = await Audited(context, session!, () => _authority.AdminListHostsAsync(session!.Identity, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, new AdminHosts { Hosts = hosts }, WebAdminJsonContext.Default.AdminHosts).ConfigureAwait(false);
    }

    /// <summary>Refuses a non-admin before the body is even read (the list endpoints refuse through the authority).</summary>
    private Task RequireAdminAsync(HttpContext context, WebSession session) =>
        Audited(context, session, async () =>
        {
            var can = await _authority.CapabilitiesAsync(session.Identity, context.RequestAborted).ConfigureAwait(false);
            return can.Admin ? true : throw new WebApiException(403, "forbidden", "administration needs the \"admin\" role");
        });

    private static string Route(HttpContext context, string name)
    {
        var value = context.Request.RouteValues[name] as string ?? "";
        return value.Length is > 0 and <= 256 ? value : throw WebApiException.BadRequest($"{name} must be 1-256 characters");
    }

    private static TimeSpan ParseTtl(string text) =>
        text.Length <= 32 && DurationText.TryParse(text.Trim(), out var value) && value > TimeSpan.Zero
            ? value
            : throw WebApiException.BadRequest($"ttl \"{Bounded(text)}\" is not a duration such as 30m, 1h or 7d");
}
