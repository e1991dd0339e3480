using Ferry.Identity;
using Microsoft.AspNetCore.Http;

namespace Ferry.Auth.Server;

/// <summary>
/// Per-endpoint client certificate checks (TLS only asks for a certificate; each endpoint decides what it needs),
/// and the client address.
/// </summary>
internal static class CallerIdentity
{

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

    /// <summary>
    /// The client address: the TCP peer, or, on a connection a proxy passed through, the address in the proxy's
    /// signed PROXY protocol header (<see cref="ClientAddressMiddleware"/> puts it in place of the peer). No HTTP
    /// header is trusted for it.
    /// </summary>
    public static Task<string> ClientAddressAsync(HttpContext context, AuthService service)
    {
        _ = service;
        var ip = context.Connection.RemoteIpAddress;
        if (ip is { IsIPv4MappedToIPv6: true })
        {
            ip = ip.MapToIPv4();
        }

        return Task.FromResult(ip?.ToString() ?? "unknown");
    }
}
