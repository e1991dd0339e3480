using Ferry.Contracts;
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

    public Task<UserCertificateResponse> TakeSsoResultAsync(string requestId, string secretHex, string clientAddr, CancellationToken ct) =>
        Translate(() => service.TakeSsoResultAsync(new SsoResultRequest { RequestId = requestId, Secret = secretHex }, clientAddr));
}
