using Ferry.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Auth.Server;

/// <summary><c>/v1/access-requests</c>: create, list, show, review and drop access requests (user certificate required).</summary>
internal sealed partial class AuthEndpoints
{
    private void MapAccessRequests(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/access-requests", Guard(AccessRequestCreateAsync));
        app.MapGet("/v1/access-requests", Guard(AccessRequestListAsync));
        app.MapGet("/v1/access-requests/{id}", Guard(AccessRequestGetAsync));
        app.MapPost("/v1/access-requests/{id}/review", Guard(AccessRequestReviewAsync));
        app.MapPost("/v1/access-requests/{id}/drop", Guard(AccessRequestDropAsync));
    }

    private async Task AccessRequestCreateAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.AccessRequestCreate).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var info = await service.CreateAccessRequestAsync(user, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, info, AuthApiJsonContext.Default.AccessRequestInfo, StatusCodes.Status201Created).ConfigureAwait(false);
    }

    private async Task AccessRequestListAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var state = context.Request.Query.TryGetValue("state", out var values) ? (values.Count == 1 ? values[0] : "") : null;
        var list = await service.ListAccessRequestsAsync(user, state, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, new AccessRequestsResponse { Requests = list }, AuthApiJsonContext.Default.AccessRequestsResponse).ConfigureAwait(false);
    }

    private async Task AccessRequestGetAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var info = await service.GetAccessRequestAsync(user, RequestId(context), context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, info, AuthApiJsonContext.Default.AccessRequestInfo).ConfigureAwait(false);
    }

    private async Task AccessRequestReviewAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var review = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.AccessRequestReview).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var info = await service.ReviewAccessRequestAsync(user, RequestId(context), review, address, ct: context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, info, AuthApiJsonContext.Default.AccessRequestInfo).ConfigureAwait(false);
    }

    private async Task AccessRequestDropAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var drop = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.AccessRequestDrop).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var info = await service.DropAccessRequestAsync(user, RequestId(context), drop, address, ct: context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, info, AuthApiJsonContext.Default.AccessRequestInfo).ConfigureAwait(false);
    }

    private static string RequestId(HttpContext context) => context.Request.RouteValues["id"] as string ?? "";
}
