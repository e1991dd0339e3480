using System.Globalization;
using System.Text;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Diagnostics;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

/// <summary>
/// <c>GET /web/api/audit/events</c> (search) and <c>GET /web/api/audit/sessions/{id}</c> (playback) for roles with
/// <c>audit_search</c>, over the auth service's own search and <see cref="SessionPlayback"/>. The search text travels in
/// the query string of a GET made by an auditor (it is a search term, not a statement) and is never logged.
/// </summary>
public sealed partial class WebUi
{
    /// <summary>Most events one web search returns.</summary>
    public const int MaxAuditEvents = 500;

    /// <summary>Events a web search returns when it gives no limit.</summary>
    public const int DefaultAuditEvents = 200;

    /// <summary>Longest user, database, time or text of a web search.</summary>
    public const int MaxAuditField = 256;

    partial void MapAudit(IEndpointRouteBuilder app)
    {
        app.MapGet("/web/api/audit/events", Api(AuditEventsAsync));
        app.MapGet("/web/api/audit/sessions/{id}", Api(AuditSessionAsync));
    }

    private async Task AuditEventsAsync(HttpContext context, WebSession? session)
    {
        var q = context.Request.Query;
        string? Field(string name)
        {
            if (q[name].Count > 1)
            {
                throw WebApiException.BadRequest($"{name} is given more than once");
            }

            var v = q[name].Count == 1 ? q[name][0]?.Trim() : null;
            if (string.IsNullOrEmpty(v))
            {
                return null;
            }

            return v.Length <= MaxAuditField ? v : throw WebApiException.BadRequest(
                string.Create(CultureInfo.InvariantCulture, $"{name} is {v.Length} characters long; at most {MaxAuditField} are searched"));
        }

        var limit = DefaultAuditEvents;
        if (Field("limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxAuditEvents))
        {
            throw WebApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"limit \"{Bounded(l)}\" must be a whole number from 1 to {MaxAuditEvents}"));
        }

        var query = new WebAuditQuery(Field("user"), Field("database"), Field("from"), Field("to"), Field("text"), limit);
        var found = await Audited(context, session!, () => _authority.SearchAuditAsync(session!.Identity, query, context.RequestAborted)).ConfigureAwait(false);

        // {"events":[the very AuditEvent JSON of /v1/audit/search],"more":bool}
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = context.Response.Body;
        await body.WriteAsync("{\"events\":"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
        await JsonSerializer.SerializeAsync(body, found.Events.ToList(), AuditJsonContext.Default.ListAuditEvent, context.RequestAborted).ConfigureAwait(false);
        await body.WriteAsync(Encoding.UTF8.GetBytes(found.More ? ",\"more\":true}" : ",\"more\":false}"), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task AuditSessionAsync(HttpContext context, WebSession? session)
    {
        var id = context.Request.RouteValues["id"] as string ?? "";
        var view = await Audited(context, session!, () => _authority.PlaybackAsync(session!.Identity, id, context.RequestAborted)).ConfigureAwait(false);
        await WriteAsync(context, view, AuditJsonContext.Default.SessionPlaybackView).ConfigureAwait(false);
    }

    /// <summary>Runs a call the user's roles may refuse: a 403 is counted, logged and audited (<c>web.request</c>, reason <c>forbidden</c>) like every web refusal.</summary>
    private async Task<T> Audited<T>(HttpContext context, WebSession session, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (WebApiException e) when (e.Status == 403)
        {
            Forbidden(context, session, e.Message);
            throw;
        }
    }

    private void Forbidden(HttpContext context, WebSession session, string why)
    {
        const string reason = "forbidden";
        FerryMetrics.Refused(FerryMetrics.Sides.Web, reason);
        var source = ClientAddress(context);
        WebLog.RequestRefused(_log, context.Request.Method, Bounded(context.Request.Path.Value ?? ""), source, reason);
        _refusals.Record(reason, source, session.User, Bounded(context.Request.Method + " " + (context.Request.Path.Value ?? "") + ": " + why));
    }
}
