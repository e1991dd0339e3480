using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Auth.Server;

/// <summary>
/// Session playback (<c>GET /v1/audit/sessions/{id}</c>, roles with <c>audit_search</c>), live sessions
/// (<c>GET /v1/sessions</c>, <c>POST /v1/sessions/{id}/end</c>), what agents report about them
/// (<c>POST /v1/agents/sessions</c>) and the shared egress budgets (<c>POST /v1/egress</c>, agents only).
/// </summary>
internal sealed partial class AuthEndpoints
{
    private void MapSessions(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit/sessions/{id}", Guard(SessionPlaybackAsync));
        app.MapGet("/v1/sessions", Guard(LiveSessionsAsync));
        app.MapPost("/v1/sessions/{id}/end", Guard(EndSessionAsync));
        app.MapPost("/v1/agents/sessions", Guard(AgentSessionsAsync));
        app.MapPost("/v1/egress", Guard(EgressAsync));
    }

    /// <summary>The playback of one session (<see cref="SessionPlayback"/>); <c>since</c> bounds how far back to look (default: all).</summary>
    private async Task SessionPlaybackAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        await AuditReading.RequireAuditorAsync(service, user, context.RequestAborted).ConfigureAwait(false);
        var id = context.Request.RouteValues["id"] as string ?? "";
        var parsed = AuditSearchQuery.Parse(context.Request.Query, service.Now);
        var view = await AuditReading.PlaybackAsync(audit, id, parsed.Since, parsed.Until, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, view, AuditJsonContext.Default.SessionPlaybackView).ConfigureAwait(false);
    }

    private async Task LiveSessionsAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var response = await service.ListLiveSessionsAsync(user, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.LiveSessionsResponse).ConfigureAwait(false);
    }

    private async Task EndSessionAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.SessionEndRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var id = context.Request.RouteValues["id"] as string ?? "";
        var response = await service.EndLiveSessionAsync(user, id, request.Reason, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.SessionEndResponse).ConfigureAwait(false);
    }

    private async Task AgentSessionsAsync(HttpContext context)
    {
        var agent = await CallerIdentity.RequireHostAsync(context, service, HostRole.Agent).ConfigureAwait(false);
        var report = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.LiveSessionsReport).ConfigureAwait(false);
        ReportShape.Entries(report.Sessions, "sessions");
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        await service.ReportLiveSessionsAsync(agent, report, address, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task EgressAsync(HttpContext context)
    {
        var agent = await CallerIdentity.RequireHostAsync(context, service, HostRole.Agent).ConfigureAwait(false);
        var report = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.EgressReport).ConfigureAwait(false);
        ReportShape.Entries(report.Usage, "usage");
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.ReportEgressAsync(agent, report, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.EgressReportResponse).ConfigureAwait(false);
    }
}
