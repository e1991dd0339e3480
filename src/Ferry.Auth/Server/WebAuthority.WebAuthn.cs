using System.Text.Json;
using Ferry.Contracts;
using Ferry.Identity;
using Ferry.Web;

namespace Ferry.Auth.Server;

internal sealed partial class WebAuthority
{
    public Task<WebAuthnBegin> BeginSecurityKeyRegistrationAsync(UserIdentity user, WebAuthnReauthProof proof, string rpId, string origin, string binding, string clientAddr, CancellationToken ct) => Translate(async () =>
    {
        var (id, options) = await service.BeginWebAuthnRegistrationAsync(user, proof, rpId, origin, binding, clientAddr, ct).ConfigureAwait(false);
        return new WebAuthnBegin(id, options);
    });

    public Task<string> FinishSecurityKeyRegistrationAsync(UserIdentity user, string? challengeId, string? name, JsonElement credential, string binding, string clientAddr, CancellationToken ct) =>
        Translate(() => service.FinishWebAuthnRegistrationAsync(user, challengeId, name, credential, binding, clientAddr, ct));

    public Task<WebAuthnBegin> BeginSecurityKeyAssertionAsync(string purpose, string user, string binding, string rpId, string origin, string clientAddr, CancellationToken ct) => Translate(async () =>
    {
        var (id, options) = await service.BeginWebAuthnAssertionAsync(purpose, user, binding, rpId, origin, clientAddr, ct).ConfigureAwait(false);
        return new WebAuthnBegin(id, options);
    });

    public Task<UserCertificateResponse> LoginWithSecurityKeyAsync(string user, string? password, string? challengeId, JsonElement credential, string binding, string publicKeyPem, long ttlSeconds, string clientAddr, CancellationToken ct) =>
        Translate(() => service.LoginWithSecurityKeyAsync(user, password, challengeId, credential, binding, publicKeyPem, ttlSeconds, clientAddr, ct));

    public Task<UserCertificateResponse> IssueRoutedWithSecurityKeyAsync(UserIdentity presented, UserCertificateRequest request, string? challengeId, JsonElement credential, string binding, string clientAddr, CancellationToken ct) =>
        Translate(async () =>
        {
            var device = await service.VerifySessionSecurityKeyAsync(presented, request.Route?.Service ?? "", challengeId, credential, binding, clientAddr, ct).ConfigureAwait(false);
            return await service.ReissueUserCertificateAsync(presented, request, clientAddr, device, ct).ConfigureAwait(false);
        });

    public Task<IReadOnlyList<WebMfaDeviceView>> ListMfaDevicesAsync(UserIdentity user, CancellationToken ct) => Translate(async () =>
    {
        var list = new List<WebMfaDeviceView>();
        foreach (var d in (await service.ListMfaDevicesAsync(user, ct).ConfigureAwait(false)).Devices)
        {
            list.Add(new WebMfaDeviceView(d.Name, "totp", d.Added ?? default));
        }

        foreach (var d in await service.WebAuthnDevicesAsync(user.User, ct).ConfigureAwait(false))
        {
            list.Add(new WebMfaDeviceView(d.Name, "webauthn", d.Added));
        }

        return (IReadOnlyList<WebMfaDeviceView>)list;
    });

    public Task<bool> RemoveSecurityKeyAsync(UserIdentity user, string name, string clientAddr, CancellationToken ct) =>
        Translate(() => service.RemoveWebAuthnDeviceAsync(user, name, clientAddr, ct));
}
