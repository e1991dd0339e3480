using System.Security.Cryptography.X509Certificates;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

public sealed partial class WebUi
{
    private void MapSession(IEndpointRouteBuilder app)
    {
        app.MapPost("/web/api/login", Api(LoginAsync, session: false));
        app.MapGet("/web/api/session", Api(SessionAsync));
        app.MapPost("/web/api/logout", Api(LogoutAsync));
    }

    /// <summary>
    /// Password + TOTP through the auth service's own login (same checks, throttles and audit, method <c>web</c>) for a
    /// key pair made here for this web session; the certificate and key never leave the server.
    /// </summary>
    private async Task LoginAsync(HttpContext context, WebSession? _)
    {
        var request = await ReadAsync(context, WebJsonContext.Default.WebLoginRequest).ConfigureAwait(false);
        var address = ClientAddress(context);
        var key = KeyPair.Generate();
        try
        {
            var issued = await _authority.LoginAsync(new LoginRequest
            {
                User = request.User ?? "",
                Password = request.Password ?? "",
                Otp = request.Otp ?? "",
                PublicKeyPem = key.ExportPublicKeyPem(),
                TtlSeconds = (long)_options.SessionTtl.TotalSeconds,
            }, address, context.RequestAborted).ConfigureAwait(false);
            var session = Start(context, key, issued, address);
            key = null; // owned by the session now
            await WriteAsync(context, await InfoAsync(session, context.RequestAborted).ConfigureAwait(false), WebJsonContext.Default.WebSessionInfo).ConfigureAwait(false);
        }
        finally
        {
            key?.Dispose();
        }
    }

    /// <summary>A web session for a certificate the auth service issued to <paramref name="key"/>; sets the cookie.</summary>
    internal WebSession Start(HttpContext context, KeyPair key, UserCertificateResponse issued, string address)
    {
        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        var verified = _authority.UserVerifier.VerifyUser(certificate);
        if (!verified.IsValid)
        {
            throw new WebApiException(500, "internal", "the auth service issued a certificate this web UI cannot verify: " + verified.Message);
        }

        var (session, cookie) = Sessions.Create(verified.Identity, key, issued.CertificatePem, address);
        SetCookie(context, cookie);
        WebLog.SessionStarted(_log, session.User, address, session.AbsoluteDeadline);
        return session;
    }

    private async Task SessionAsync(HttpContext context, WebSession? session) =>
        await WriteAsync(context, await InfoAsync(session!, context.RequestAborted).ConfigureAwait(false), WebJsonContext.Default.WebSessionInfo).ConfigureAwait(false);

    private Task LogoutAsync(HttpContext context, WebSession? session)
    {
        Sessions.End(session!, "logout");
        ClearCookie(context);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private async Task<WebSessionInfo> InfoAsync(WebSession session, CancellationToken ct)
    {
        var can = await _authority.CapabilitiesAsync(session.Identity, ct).ConfigureAwait(false);
        return new WebSessionInfo
        {
            User = session.User,
            Roles = [.. session.Identity.Roles],
            CsrfToken = session.CsrfToken,
            Expires = session.AbsoluteDeadline,
            IdleExpires = session.IdleDeadline,
            Can = new WebCan { Audit = can.Audit, Admin = can.Admin, Review = can.Review },
            Mfa = new WebMfa { Totp = can.Totp, Webauthn = can.WebAuthn },
            Connector = session.Identity.Connector,
        };
    }
}
