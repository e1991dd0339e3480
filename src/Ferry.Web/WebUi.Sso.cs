using System.Security.Cryptography;
using Ferry.Diagnostics;
using Ferry.Identity;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

/// <summary>
/// "Sign in with &lt;connector&gt;": the CLI's SSO flow (one implementation in the auth service) started for a key pair
/// made here. The provider comes back to the connector's one registered redirect URI, <c>/v1/sso/callback</c>, whose
/// state marks the login as a web one and sends the browser to <c>/web/api/sso/finish</c>; that collects the
/// certificate with the secret the browser holds in a short-lived cookie (so only the browser that started the
/// login can finish it) and starts a web session exactly as a password login does. With <c>reauth=1</c> a signed-in
/// SSO user confirms who they are before registering a security key: the provider is asked to sign them in again, and
/// the finish keeps the auth service's single-use proof in their web session for <c>register/begin</c> (<c>sso: true</c>)
/// instead of starting a session.
/// </summary>
public sealed partial class WebUi
{
    /// <summary>Binds a web SSO login to the browser that started it: <c>request_id.secret</c>, 10 minutes, sent on the provider's top-level redirect back (Lax).</summary>
    public const string SsoCookieName = "__Host-ferry_sso";

    private WebSsoKeys? _ssoKeys;

    private WebSsoKeys SsoKeys => LazyInitializer.EnsureInitialized(ref _ssoKeys, () => new WebSsoKeys(_authority.Time));

    partial void MapSso(IEndpointRouteBuilder app)
    {
        app.MapGet("/web/api/sso/connectors", Api(SsoConnectorsAsync, session: false));
        app.MapGet("/web/api/sso/start", SsoStartAsync);
        app.MapGet("/web/api/sso/finish", SsoFinishAsync);
    }

    private async Task SsoConnectorsAsync(HttpContext context, WebSession? _)
    {
        var connectors = await _authority.ListSsoConnectorsAsync(context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, [.. connectors.Select(c => new WebSsoConnectorInfo { Name = c.Name, DisplayName = c.DisplayName })], WebSsoJsonContext.Default.ListWebSsoConnectorInfo).ConfigureAwait(false);
    }

    private async Task SsoStartAsync(HttpContext context)
    {
        var address = ClientAddress(context);
        var reauth = context.Request.Query["reauth"] is { Count: 1 } r && r[0] == "1";
        KeyPair? key = null;
        try
        {
            // A re-authentication is for the signed-in user of this browser (a top-level navigation from the account
            // page carries the SameSite=Strict session cookie).
            var session = reauth ? Sessions.Find(context.Request.Cookies[CookieName], out _)
                ?? throw new WebApiException(401, "sso_reauth", "sign in first: confirming who you are needs a web session") : null;
            var name = context.Request.Query["connector"] is { Count: 1 } v ? v[0] ?? "" : "";
            if (name.Length is 0 or > 128)
            {
                throw new WebApiException(400, "sso_connector", "choose a single sign-on connector on the sign-in page");
            }

            var connectors = await _authority.ListSsoConnectorsAsync(context.RequestAborted).ConfigureAwait(false);
            var connector = connectors.FirstOrDefault(c => c.Name == name)
                ?? throw new WebApiException(404, "sso_connector", connectors.Count == 0
                    ? "single sign-on is not configured on this cluster: sign in with your user name and password"
                    : $"no single sign-on connector \"{Bounded(name)}\": choose one on the sign-in page");

            // The binding cookie must be set on the origin the provider comes back to (the connector's redirect URI):
            // a browser on another name for this server is sent there first.
            var home = Uri.TryCreate(connector.RedirectUrl, UriKind.Absolute, out var redirect) ? redirect.GetLeftPart(UriPartial.Authority) : null;
            if (home is not null && !string.Equals(home, "https://" + context.Request.Host.Value, StringComparison.OrdinalIgnoreCase))
            {
                Redirect(context, home + "/web/api/sso/start?connector=" + Uri.EscapeDataString(name) + (reauth ? "&reauth=1" : ""));
                return;
            }

            key = KeyPair.Generate();
            var secret = RandomNumberGenerator.GetBytes(32);
            var secretSha256 = Convert.ToHexStringLower(SHA256.HashData(secret));
            var started = session is not null
                ? await _authority.StartSsoReauthAsync(session.Identity, name, session.IdHash, key.ExportPublicKeyPem(), secretSha256, address, context.RequestAborted).ConfigureAwait(false)
                : await _authority.StartSsoAsync(name, key.ExportPublicKeyPem(), secretSha256, (long)_options.SessionTtl.TotalSeconds, address, context.RequestAborted).ConfigureAwait(false);
            if (!SsoKeys.TryAdd(started.RequestId, key, session))
            {
                throw new WebApiException(503, "unavailable", "too many single sign-on logins are in progress on this server: try again in a few minutes");
            }

            key = null; // kept until the login finishes or expires
            context.Response.Headers.Append("Set-Cookie",
                $"{SsoCookieName}={started.RequestId}.{Convert.ToHexStringLower(secret)}; Path=/; Max-Age={(int)WebSsoKeys.Lifetime.TotalSeconds}; Secure; HttpOnly; SameSite=Lax");
            Redirect(context, started.AuthUrl);
        }
        catch (WebApiException e)
        {
            Refuse(context, e.Code.StartsWith("sso_", StringComparison.Ordinal) ? e.Code : "sso_" + e.Code, null);
            Redirect(context, reauth && e.Status != 401 ? AccountPage(e.Code, e.Message) : LoginPage(e.Code, e.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            key?.Dispose();
        }
    }

    private async Task SsoFinishAsync(HttpContext context)
    {
        var address = ClientAddress(context);
        var reauthing = false;
        context.Response.Headers.Append("Set-Cookie", $"{SsoCookieName}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax");
        try
        {
            var requestId = context.Request.Query["request_id"] is { Count: 1 } v ? v[0] ?? "" : "";
            var cookie = context.Request.Cookies[SsoCookieName] ?? "";
            var dot = cookie.IndexOf('.', StringComparison.Ordinal);
            if (requestId.Length is 0 or > 64 || dot <= 0 || cookie.Length > 256 || !string.Equals(cookie[..dot], requestId, StringComparison.Ordinal))
            {
                _refusals.Record("sso_browser", address, "", "web single sign-on finished in a browser that did not start it (no or another binding cookie)");
                throw new WebApiException(403, "sso_browser", "this sign-in was not started in this browser (or took longer than 10 minutes): sign in again from this page");
            }

            var (key, reauthFor) = SsoKeys.Take(requestId)
                ?? throw new WebApiException(410, "sso_expired", "this sign-in took longer than 10 minutes or the server restarted meanwhile: sign in again");
            reauthing = reauthFor is not null;
            try
            {
                if (reauthFor is not null)
                {
                    // Confirming who the signed-in user is: no new session; the proof waits in theirs for register/begin.
                    var ticket = await _authority.TakeSsoReauthAsync(requestId, cookie[(dot + 1)..], reauthFor.Identity, reauthFor.IdHash, address, context.RequestAborted).ConfigureAwait(false);
                    if (reauthFor.ExpiredReason(_authority.Time.GetUtcNow()) is not null)
                    {
                        throw new WebApiException(401, "sso_reauth", "your web session ended while you were confirming who you are: sign in again");
                    }

                    reauthFor.KeepSsoReauthTicket(ticket);
                    key.Dispose();
                    Redirect(context, "/web/#/account?confirmed=sso");
                    return;
                }

                var issued = await _authority.TakeSsoResultAsync(requestId, cookie[(dot + 1)..], address, context.RequestAborted).ConfigureAwait(false);
                Start(context, key, issued, address);
            }
            catch
            {
                key.Dispose();
                throw;
            }

            Redirect(context, "/web/#/databases");
        }
        catch (WebApiException e)
        {
            Refuse(context, e.Code.StartsWith("sso_", StringComparison.Ordinal) ? e.Code : "sso_" + e.Code, null);
            Redirect(context, reauthing && e.Status != 401 ? AccountPage(e.Code, e.Message) : LoginPage(e.Code, e.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private static void Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = location;
        context.Response.Headers.CacheControl = "no-store";
    }

    /// <summary>The account page showing why confirming who the user is failed (in the fragment, which no server sees).</summary>
    internal static string AccountPage(string code, string message) =>
        "/web/#/account?error=" + Uri.EscapeDataString(code) + "&message=" + Uri.EscapeDataString(message.Length <= 300 ? message : message[..300] + "…");

    /// <summary>The login page showing a refusal (in the fragment, which no server sees).</summary>
    internal static string LoginPage(string code, string message) =>
        "/web/#/login?error=" + Uri.EscapeDataString(code) + "&message=" + Uri.EscapeDataString(message.Length <= 300 ? message : message[..300] + "…");
}
