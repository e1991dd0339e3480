using System.Net;
using Ferry.Identity;
using Microsoft.AspNetCore.Http;

namespace Ferry.Auth.Server;

/// <summary>
/// Per-endpoint client certificate checks (TLS only asks for a certificate; each endpoint decides what it needs),
/// and the client address: the TCP peer, or the <c>Ferry-Client-Addr</c> header when the caller is a proxy
/// forwarding for a client (verified proxy host certificate).
/// </summary>
internal static class CallerIdentity
{
    public const string ForwardedForHeader = "Ferry-Client-Addr";

    public static async Task<UserIdentity> RequireUserAsync(HttpContext context, AuthService service)
    {
        var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false)
            ?? throw new AuthException(401, "a user certificate is required: run `ferry login`");
        var result = service.UserVerifier.VerifyUser(certificate);
        if (!result.IsValid)
        {
            throw new AuthException(401, result.Message);
        }

        return result.Identity;
    }

    /// <summary>A verified host certificate of a registered host (joined, not removed with <c>ferryd admin hosts rm</c>).</summary>
    public static async Task<HostIdentity> RequireHostAsync(HttpContext context, AuthService service, HostRole? role = null)
    {
        var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false)
            ?? throw new AuthException(401, "a host certificate is required: join the cluster with a token first");
        var result = service.HostVerifier.VerifyHost(certificate, role);
        if (!result.IsValid)
        {
            throw new AuthException(401, result.Message);
        }

        await service.RequireRegisteredHostAsync(result.Identity, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", context.RequestAborted).ConfigureAwait(false);
        return result.Identity;
    }

    public static async Task<string> ClientAddressAsync(HttpContext context, AuthService service)
    {
        var peer = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!context.Request.Headers.TryGetValue(ForwardedForHeader, out var forwarded) || forwarded.Count != 1)
        {
            return peer;
        }

        var certificate = await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
        if (certificate is null || !service.HostVerifier.VerifyHost(certificate, HostRole.Proxy).IsValid)
        {
            return peer;
        }

        var text = forwarded[0]!;
        return IPEndPoint.TryParse(text, out var ep) ? ep.Address.ToString() : IPAddress.TryParse(text, out var ip) ? ip.ToString() : peer;
    }
}
