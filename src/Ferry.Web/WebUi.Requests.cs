using Ferry.Contracts;
using Ferry.Text;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

public sealed partial class WebUi
{
    private void MapRequests(IEndpointRouteBuilder app)
    {
        app.MapGet("/web/api/requests", Api(RequestsAsync));
        app.MapPost("/web/api/requests", Api(CreateRequestAsync));
        app.MapPost("/web/api/requests/{id}/review", Api(ReviewRequestAsync));
    }

    /// <summary>The web session's user's own requests; with <c>?review=1</c> the others' requests the user may review.</summary>
    private async Task RequestsAsync(HttpContext context, WebSession? session)
    {
        var review = context.Request.Query["review"].Count == 1 && context.Request.Query["review"][0] == "1";
        var all = await _authority.ListAccessRequestsAsync(session!.Identity, context.RequestAborted).ConfigureAwait(false);
        var list = all.Where(r => review ? r.User != session.User : r.User == session.User).ToList();
        await WriteAsync(context, new AccessRequestsResponse { Requests = list }, AuthApiJsonContext.Default.AccessRequestsResponse).ConfigureAwait(false);
    }

    private async Task CreateRequestAsync(HttpContext context, WebSession? session)
    {
        var body = await ReadAsync(context, WebJsonContext.Default.WebRequestCreate).ConfigureAwait(false);
        long? seconds = null;
        if (!string.IsNullOrEmpty(body.Duration))
        {
            if (body.Duration.Length > 32 || !DurationText.TryParse(body.Duration, out var duration) || duration <= TimeSpan.Zero)
            {
                throw WebApiException.BadRequest($"duration \"{Bounded(body.Duration)}\" is not a duration such as 30m, 4h or 1d");
            }

            seconds = (long)duration.TotalSeconds;
        }

        var info = await _authority.CreateAccessRequestAsync(session!.Identity, new AccessRequestCreate
        {
            Roles = body.Roles ?? [],
            Resources = body.Resources ?? [],
            Reason = body.Reason ?? "",
            DurationSeconds = seconds,
        }, ClientAddress(context), context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, info, AuthApiJsonContext.Default.AccessRequestInfo, StatusCodes.Status201Created).ConfigureAwait(false);
    }

    private async Task ReviewRequestAsync(HttpContext context, WebSession? session)
    {
        var body = await ReadAsync(context, WebJsonContext.Default.WebRequestReview).ConfigureAwait(false);
        var approve = body.Decision switch
        {
            "approve" => true,
            "deny" => false,
            _ => throw WebApiException.BadRequest("decision must be approve or deny"),
        };
        var info = await _authority.ReviewAccessRequestAsync(session!.Identity, context.Request.RouteValues["id"] as string ?? "",
            new AccessRequestReview { Approve = approve, Reason = body.Reason ?? "" }, ClientAddress(context), context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, info, AuthApiJsonContext.Default.AccessRequestInfo).ConfigureAwait(false);
    }
}
