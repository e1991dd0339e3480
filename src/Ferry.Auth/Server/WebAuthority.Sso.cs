using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Web;

namespace Ferry.Auth.Server;

internal sealed partial class WebAuthority
{
    public Task<IReadOnlyList<WebSsoConnector>> ListSsoConnectorsAsync(CancellationToken ct) => Translate(async () =>
        (IReadOnlyList<WebSsoConnector>)[.. (await service.ListSsoConnectorsAsync(ct).ConfigureAwait(false)).Select(c => new WebSsoConnector(c.Name, c.ShownName, c.RedirectUrl))]);

    public Task<WebSsoStart> StartSsoAsync(string connector, string publicKeyPem, string secretSha256Hex, long ttlSeconds, string clientAddr, CancellationToken ct) => Translate(async () =>
    {
        var started = await service.StartSsoLoginAsync(connector, new SsoLoginRequest
        {
            RedirectUrl = AuthService.WebFinishPath,
            SecretSha256 = secretSha256Hex,
            PublicKeyPem = publicKeyPem,
            TtlSeconds = ttlSeconds,
        }, clientAddr, web: true, ct).ConfigureAwait(false);
        return new WebSsoStart(started.AuthUrl, started.RequestId);
    });

    public Task<WebSsoStart> StartSsoReauthAsync(UserIdentity user, string connector, string binding, string publicKeyPem, string secretSha256Hex, string clientAddr, CancellationToken ct) => Translate(async () =>
    {
        if (user.Connector != connector)
        {
            throw AuthException.Forbidden(user.Connector is null
                ? "you signed in with a password: confirm who you are with your password and a one-time code, or with a security key"
                : $"you signed in through \"{user.Connector}\": confirm who you are there");
        }

        var started = await service.StartSsoLoginAsync(connector, new SsoLoginRequest
        {
            RedirectUrl = AuthService.WebFinishPath,
            SecretSha256 = secretSha256Hex,
            PublicKeyPem = publicKeyPem,
            TtlSeconds = 60,
        }, clientAddr, web: true, (user.User, binding), ct).ConfigureAwait(false);
        return new WebSsoStart(started.AuthUrl, started.RequestId);
    });

    public Task<string> TakeSsoReauthAsync(string requestId, string secretHex, UserIdentity user, string binding, string clientAddr, CancellationToken ct) =>
        Translate(() => service.TakeSsoReauthenticationAsync(requestId, secretHex, user.User, binding, clientAddr, ct));

    public Task<UserCertificateResponse> TakeSsoResultAsync(string requestId, string secretHex, string clientAddr, CancellationToken ct) =>
        Translate(() => service.TakeSsoResultAsync(new SsoResultRequest { RequestId = requestId, Secret = secretHex }, clientAddr));
}
