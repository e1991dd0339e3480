using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

/// <summary>
/// Security keys and passkeys (WebAuthn): registration on the account page (needs a web session, CSRF and a fresh
/// re-authentication in <c>register/begin</c>: password + one-time code, a key answering <c>reauth/begin</c>, or a fresh
/// sign-in at the SSO provider through <c>/web/api/sso/start?reauth=1</c>), password +
/// security key login, session MFA for consoles (<c>/webauthn/session/begin</c>, then <c>POST /consoles</c> with
/// <c>webauthn</c>), and the account's MFA devices. The relying party is the request's host name, the origin
/// <c>https://HOST[:PORT]</c> the browser used; all verification happens in the auth service.
/// </summary>
public sealed partial class WebUi
{
    partial void MapWebAuthn(IEndpointRouteBuilder app)
    {
        app.MapPost("/web/api/webauthn/register/begin", Api(RegisterBeginAsync));
        app.MapPost("/web/api/webauthn/register/finish", Api(RegisterFinishAsync));
        app.MapPost("/web/api/webauthn/login/begin", Api(KeyLoginBeginAsync, session: false));
        app.MapPost("/web/api/webauthn/login/finish", Api(KeyLoginFinishAsync, session: false));
        app.MapPost("/web/api/webauthn/session/begin", Api(SessionKeyBeginAsync));
        app.MapPost("/web/api/webauthn/reauth/begin", Api(ReauthKeyBeginAsync));
        app.MapGet("/web/api/mfa/devices", Api(MfaDevicesAsync));
        app.MapDelete("/web/api/mfa/devices/{name}", Api(RemoveMfaDeviceAsync));
    }

    /// <summary>The relying party id (the host name the browser used) and the origin (scheme, host and port).</summary>
    private static (string RpId, string Origin) RelyingParty(HttpContext context)
    {
        var host = context.Request.Host;
        if (!host.HasValue || host.Host.Length > 253)
        {
            throw WebApiException.BadRequest("the request has no usable Host header");
        }

        return (host.Host.ToLowerInvariant(), "https://" + host.Value.ToLowerInvariant());
    }

    private static string LoginBinding(string address) => "web-login:" + address;

    private async Task RegisterBeginAsync(HttpContext context, WebSession? session)
    {
        var request = await ReadAsync(context, WebAuthnJsonContext.Default.WebAuthnRegisterBeginRequest).ConfigureAwait(false);
        var proof = new WebAuthnReauthProof(request.Password, request.Otp, request.Reauth?.ChallengeId, request.Reauth?.Credential ?? default,
            request.Sso ? session!.TakeSsoReauthTicket() ?? "" : null);
        var (rpId, origin) = RelyingParty(context);
        var begin = await _authority.BeginSecurityKeyRegistrationAsync(session!.Identity, proof, rpId, origin, session.IdHash, ClientAddress(context), context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, new WebAuthnBeginResponse { ChallengeId = begin.ChallengeId, Options = begin.Options }, WebAuthnJsonContext.Default.WebAuthnBeginResponse).ConfigureAwait(false);
    }

    private async Task RegisterFinishAsync(HttpContext context, WebSession? session)
    {
        var request = await ReadAsync(context, WebAuthnJsonContext.Default.WebAuthnRegisterFinishRequest).ConfigureAwait(false);
        var name = await _authority.FinishSecurityKeyRegistrationAsync(session!.Identity, request.ChallengeId, request.Name, request.Credential, session.IdHash, ClientAddress(context), context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, new WebAuthnRegistered { Device = name }, WebAuthnJsonContext.Default.WebAuthnRegistered).ConfigureAwait(false);
    }

    private async Task KeyLoginBeginAsync(HttpContext context, WebSession? _)
    {
        var request = await ReadAsync(context, WebAuthnJsonContext.Default.WebAuthnLoginBeginRequest).ConfigureAwait(false);
        var (rpId, origin) = RelyingParty(context);
        var address = ClientAddress(context);
        var begin = await _authority.BeginSecurityKeyAssertionAsync("login", (request.User ?? "").Trim(), LoginBinding(address), rpId, origin, address, context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, new WebAuthnBeginResponse { ChallengeId = begin.ChallengeId, Options = begin.Options }, WebAuthnJsonContext.Default.WebAuthnBeginResponse).ConfigureAwait(false);
    }

    /// <summary>Password + security key: a web session exactly as <c>/login</c> makes one.</summary>
    private async Task KeyLoginFinishAsync(HttpContext context, WebSession? _)
    {
        var request = await ReadAsync(context, WebAuthnJsonContext.Default.WebAuthnLoginFinishRequest).ConfigureAwait(false);
        var address = ClientAddress(context);
        var key = KeyPair.Generate();
        try
        {
            var issued = await _authority.LoginWithSecurityKeyAsync((request.User ?? "").Trim(), request.Password, request.ChallengeId, request.Credential, LoginBinding(address),
                key.ExportPublicKeyPem(), (long)_options.SessionTtl.TotalSeconds, address, context.RequestAborted).ConfigureAwait(false);
            var session = Start(context, key, issued, address);
            key = null;
            await WriteAsync(context, await InfoAsync(session, context.RequestAborted).ConfigureAwait(false), WebJsonContext.Default.WebSessionInfo).ConfigureAwait(false);
        }
        finally
        {
            key?.Dispose();
        }
    }

    private async Task SessionKeyBeginAsync(HttpContext context, WebSession? session)
    {
        var (rpId, origin) = RelyingParty(context);
        var begin = await _authority.BeginSecurityKeyAssertionAsync("session", session!.User, session.IdHash, rpId, origin, ClientAddress(context), context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, new WebAuthnBeginResponse { ChallengeId = begin.ChallengeId, Options = begin.Options }, WebAuthnJsonContext.Default.WebAuthnBeginResponse).ConfigureAwait(false);
    }

    /// <summary>A challenge for confirming who one is with an existing key before registering another (<c>register/begin</c> with <c>reauth</c>).</summary>
    private async Task ReauthKeyBeginAsync(HttpContext context, WebSession? session)
    {
        var (rpId, origin) = RelyingParty(context);
        var begin = await _authority.BeginSecurityKeyAssertionAsync("reauth", session!.User, session.IdHash, rpId, origin, ClientAddress(context), context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, new WebAuthnBeginResponse { ChallengeId = begin.ChallengeId, Options = begin.Options }, WebAuthnJsonContext.Default.WebAuthnBeginResponse).ConfigureAwait(false);
    }

    /// <summary>The console's certificate with session MFA passed by a security key (called by <c>POST /consoles</c> with <c>webauthn</c>).</summary>
    private Task<UserCertificateResponse> IssueRoutedWithKeyAsync(WebSession session, UserCertificateRequest request, ConsoleSecurityKey proof, string address, CancellationToken ct) =>
        _authority.IssueRoutedWithSecurityKeyAsync(session.Identity, request, proof.ChallengeId, proof.Credential, session.IdHash, address, ct);

    private async Task MfaDevicesAsync(HttpContext context, WebSession? session)
    {
        var devices = await _authority.ListMfaDevicesAsync(session!.Identity, context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, [.. devices.Select(d => new WebMfaDeviceInfo { Name = d.Name, Kind = d.Kind, Added = d.Added })], WebAuthnJsonContext.Default.ListWebMfaDeviceInfo).ConfigureAwait(false);
    }

    private async Task RemoveMfaDeviceAsync(HttpContext context, WebSession? session)
    {
        var name = context.Request.RouteValues["name"] as string ?? "";
        if (name.Length is 0 or > 64)
        {
            throw WebApiException.BadRequest("device name is missing or longer than 64 characters");
        }

        if (!await _authority.RemoveSecurityKeyAsync(session!.Identity, name, ClientAddress(context), context.RequestAborted).ConfigureAwait(false))
        {
            throw WebApiException.NotFound($"you have no security key \"{Bounded(name)}\" (TOTP devices are removed with `ferry mfa rm NAME`, which asks for a code)");
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
