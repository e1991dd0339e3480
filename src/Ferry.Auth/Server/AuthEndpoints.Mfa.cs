using Ferry.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Auth.Server;

/// <summary><c>/v1/mfa/devices</c>: the caller's TOTP devices (user certificate required; local and SSO users alike).</summary>
internal sealed partial class AuthEndpoints
{
    private void MapMfa(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/mfa/devices", Guard(MfaDevicesAsync));
        app.MapPost("/v1/mfa/devices", Guard(MfaDeviceAddAsync));
        app.MapPost("/v1/mfa/devices/confirm", Guard(MfaDeviceConfirmAsync));
        app.MapPost("/v1/mfa/devices/delete", Guard(MfaDeviceDeleteAsync));
    }

    private async Task MfaDevicesAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var devices = await service.ListMfaDevicesAsync(user, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, devices, AuthApiJsonContext.Default.MfaDevicesResponse).ConfigureAwait(false);
    }

    private async Task MfaDeviceAddAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.MfaDeviceRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var enrolment = await service.AddMfaDeviceAsync(user, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, enrolment, AuthApiJsonContext.Default.MfaDeviceEnrolment).ConfigureAwait(false);
    }

    private async Task MfaDeviceConfirmAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.MfaDeviceRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var devices = await service.ConfirmMfaDeviceAsync(user, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, devices, AuthApiJsonContext.Default.MfaDevicesResponse).ConfigureAwait(false);
    }

    private async Task MfaDeviceDeleteAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.MfaDeviceRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var devices = await service.DeleteMfaDeviceAsync(user, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, devices, AuthApiJsonContext.Default.MfaDevicesResponse).ConfigureAwait(false);
    }
}
