using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Web;

public partial interface IWebAuthority
{
    /// <summary>The single sign-on connectors in force, as <c>GET /v1/sso/connectors</c>, with each one's registered redirect URI.</summary>
    Task<IReadOnlyList<WebSsoConnector>> ListSsoConnectorsAsync(CancellationToken ct);

    /// <summary>
    /// Starts a web single sign-on login through the CLI flow's code (state, nonce and PKCE single-use and expiring;
    /// the provider comes back to the connector's <c>/v1/sso/callback</c>, which sends the browser to
    /// <c>/web/api/sso/finish?request_id=</c>). The certificate is issued to <paramref name="publicKeyPem"/>; only the
    /// holder of the secret whose SHA-256 is <paramref name="secretSha256Hex"/> collects it.
    /// </summary>
    Task<WebSsoStart> StartSsoAsync(string connector, string publicKeyPem, string secretSha256Hex, long ttlSeconds, string clientAddr, CancellationToken ct);

    /// <summary>The outcome of a finished web SSO login, once, to the holder of its secret (refusals thrown as <see cref="WebApiException"/>).</summary>
    Task<UserCertificateResponse> TakeSsoResultAsync(string requestId, string secretHex, string clientAddr, CancellationToken ct);

    /// <summary>
    /// Starts a fresh re-authentication of <paramref name="user"/> (signed in by single sign-on through
    /// <paramref name="connector"/>) at the provider, for the web session <paramref name="binding"/>: the provider is asked
    /// to sign the user in again, and the login must come back as the same user. Collected with <see cref="TakeSsoReauthAsync"/>.
    /// </summary>
    Task<WebSsoStart> StartSsoReauthAsync(UserIdentity user, string connector, string binding, string publicKeyPem, string secretSha256Hex, string clientAddr, CancellationToken ct);

    /// <summary>A finished re-authentication, once, to the holder of its secret: the single-use proof <c>register/begin</c> accepts as <c>sso_ticket</c>.</summary>
    Task<string> TakeSsoReauthAsync(string requestId, string secretHex, UserIdentity user, string binding, string clientAddr, CancellationToken ct);
}

/// <summary>A connector as the login page shows it, and the redirect URI the provider comes back to.</summary>
public sealed record WebSsoConnector(string Name, string DisplayName, string RedirectUrl);

/// <summary>A started web SSO login: where to send the browser, and the login's id.</summary>
public sealed record WebSsoStart(string AuthUrl, string RequestId);
