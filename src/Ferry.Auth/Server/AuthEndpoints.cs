using System.Globalization;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Auth.AuditPipeline;
using Ferry.Identity;
using Ferry.Rbac;
using Microsoft.AspNetCore.Builder;
using Ferry.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Ferry.Auth.Server;

/// <summary>The HTTPS API routes. Every handler is a plain <see cref="RequestDelegate"/> (no reflection).</summary>
internal sealed partial class AuthEndpoints(AuthService service, ServerAuditPipeline audit, AuthServerOptions options, CancellationToken stopping, ConnectionRefusalAudit? requestAudit = null)
{
    private readonly ILogger _log = FerryLogging.Factory.CreateLogger("Ferry.Auth");
    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/login", Guard(LoginAsync, onTooLarge: LoginTooLarge));
        app.MapPost("/v1/certs/user", Guard(UserCertAsync));
        app.MapPost("/v1/join", Guard(JoinAsync));
        app.MapPost("/v1/hosts/renew", Guard(RenewAsync));
        app.MapPost("/v1/db-certs", Guard(DbCertAsync));
        app.MapGet("/v1/roles", Guard(RolesAsync));
        app.MapGet("/v1/users/{name}", Guard(UserAsync));
        app.MapGet("/v1/locks", Guard(LocksAsync));
        app.MapGet("/v1/locks/watch", Guard(WatchLocksAsync));
        app.MapPost("/v1/audit/events", Guard(AuditUploadAsync, options.MaxAuditUploadBytes));
        app.MapGet("/v1/audit/search", Guard(AuditSearchAsync));
        app.MapGet("/v1/ca", Guard(CaAsync));
        app.MapGet("/v1/databases", Guard(DatabasesAsync));
        app.MapPost("/v1/inventory", Guard(InventoryAsync));
        app.MapPost("/v1/agents/databases", Guard(AgentDatabasesAsync));
        app.MapGet("/v1/sso/connectors", Guard(SsoConnectorsAsync));
        app.MapPost("/v1/sso/{connector}/login", Guard(SsoLoginAsync));
        app.MapGet("/v1/sso/callback", SsoCallbackAsync);
        app.MapPost("/v1/sso/result", Guard(SsoResultAsync));
        MapMfa(app);
        MapAccessRequests(app);
        MapSessions(app);
    }

    /// <summary>
    /// Runs a handler with its body limit (<paramref name="maxBody"/>, else <see cref="AuthServerOptions.MaxRequestBodyBytes"/>)
    /// and turns every refusal into a JSON error with the right status: 413 for a body over the limit (checked
    /// from Content-Length before anything is read, and while reading), 4xx for malformed HTTP, never a stack trace.
    /// </summary>
    private RequestDelegate Guard(Func<HttpContext, Task> handler, long? maxBody = null, Action<HttpContext>? onTooLarge = null) => async context =>
    {
        var limit = maxBody ?? options.MaxRequestBodyBytes;
        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }

            if (context.Request.ContentLength > limit)
            {
                throw new BadHttpRequestException("request body too large", StatusCodes.Status413PayloadTooLarge);
            }

            await handler(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            onTooLarge?.Invoke(context);
            // A login's is audited as a refused login (onTooLarge); any other as a refused request.
            Refused(context, AuthService.LoginRefusal.RequestTooLarge, $"body over {limit} bytes", audited: onTooLarge is null);
            context.Response.Headers.Connection = "close";
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"request body is larger than this endpoint accepts ({limit} bytes)")).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            Refused(context, "bad_request", e.Message);
            await ApiResponses.ErrorAsync(context, e.StatusCode is >= 400 and < 500 ? e.StatusCode : StatusCodes.Status400BadRequest, "bad request: " + e.Message).ConfigureAwait(false);
        }
        catch (AuthException e) when (!context.Response.HasStarted)
        {
            if (e.MalformedInput)
            {
                Refused(context, "bad_request", e.Message);
            }

            await ApiResponses.ErrorAsync(context, e.StatusCode, e.Message, e.RetryAfter).ConfigureAwait(false);
        }
        catch (RoleValidationException e) when (!context.Response.HasStarted)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            // The client went away, or the server is stopping (ends long-lived watch streams).
        }
        catch (BadHttpRequestException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-body.
        }
    };

    private void LoginTooLarge(HttpContext context) =>
        service.RecordLoginRefusal("", context.Connection.RemoteIpAddress?.ToString() ?? "unknown", AuthService.LoginRefusal.RequestTooLarge, "request body too large");

    /// <summary>A malformed request: counted, logged, and audited (aggregated per reason and source address) unless <paramref name="audited"/> is false.</summary>
    private void Refused(HttpContext context, string reason, string detail, bool audited = true)
    {
        var path = AuthService.Bounded(context.Request.Path.Value ?? "");
        var source = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        FerryMetrics.Refused(FerryMetrics.Sides.Auth, reason);
        AuthLog.RequestRefused(_log, path, source, reason, detail);
        if (audited)
        {
            requestAudit?.Refused(reason, source, $"{context.Request.Method} {path}: {detail}");
        }
    }

    private async Task LoginAsync(HttpContext context)
    {
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.LoginRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.LoginAsync(request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.UserCertificateResponse).ConfigureAwait(false);
    }

    private async Task UserCertAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.UserCertificateRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.ReissueUserCertificateAsync(user, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.UserCertificateResponse).ConfigureAwait(false);
    }

    private async Task JoinAsync(HttpContext context)
    {
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.JoinRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.JoinAsync(request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.HostCertificateResponse).ConfigureAwait(false);
    }

    private async Task RenewAsync(HttpContext context)
    {
        var host = await CallerIdentity.RequireHostAsync(context, service).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.HostRenewRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.RenewHostAsync(host, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.HostCertificateResponse).ConfigureAwait(false);
    }

    private async Task DbCertAsync(HttpContext context)
    {
        var host = await CallerIdentity.RequireHostAsync(context, service, HostRole.Agent).ConfigureAwait(false);
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.DbCertificateRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.IssueDbClientCertificateAsync(host, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.DbCertificateResponse).ConfigureAwait(false);
    }

    private async Task DatabasesAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        var response = await service.ListDatabasesAsync(user, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.DatabasesResponse).ConfigureAwait(false);
    }

    private async Task InventoryAsync(HttpContext context)
    {
        var proxy = await CallerIdentity.RequireHostAsync(context, service, HostRole.Proxy).ConfigureAwait(false);
        var report = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.InventoryReport).ConfigureAwait(false);
        ReportShape.Entries(report.Databases, "databases");
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        service.ReportProxyInventory(proxy, report, address);
        await service.NoteProxyTunnelAddressAsync(proxy.HostId, report.TunnelAddr, address, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task AgentDatabasesAsync(HttpContext context)
    {
        var agent = await CallerIdentity.RequireHostAsync(context, service, HostRole.Agent).ConfigureAwait(false);
        var report = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.AgentDatabasesReport).ConfigureAwait(false);
        ReportShape.Entries(report.Databases, "databases");
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.RegisterAgentDatabasesAsync(agent, report, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.AgentDatabasesResponse).ConfigureAwait(false);
    }

    private async Task RolesAsync(HttpContext context)
    {
        await CallerIdentity.RequireHostAsync(context, service).ConfigureAwait(false);
        var roles = await service.ListRolesAsync(context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, new RolesResponse { Roles = roles }, AuthApiJsonContext.Default.RolesResponse).ConfigureAwait(false);
    }

    private async Task UserAsync(HttpContext context)
    {
        await CallerIdentity.RequireHostAsync(context, service).ConfigureAwait(false);
        var name = context.Request.RouteValues["name"] as string ?? "";
        var user = await service.GetUserAsync(name, context.RequestAborted).ConfigureAwait(false)
            ?? throw AuthException.NotFound($"user \"{name}\" does not exist");
        await ApiResponses.WriteAsync(context, user, AuthApiJsonContext.Default.UserInfo).ConfigureAwait(false);
    }

    private async Task LocksAsync(HttpContext context)
    {
        await CallerIdentity.RequireHostAsync(context, service).ConfigureAwait(false);
        var locks = await service.ListLocksAsync(context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, new LocksResponse { Locks = locks }, AuthApiJsonContext.Default.LocksResponse).ConfigureAwait(false);
    }

    private async Task WatchLocksAsync(HttpContext context)
    {
        var host = await CallerIdentity.RequireHostAsync(context, service).ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var ct = linked.Token;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.StartAsync(ct).ConfigureAwait(false);
        var body = context.Response.BodyWriter;
        await using var events = service.WatchLocksAsync(ct).GetAsyncEnumerator(ct);
        var next = events.MoveNextAsync().AsTask();
        while (!ct.IsCancellationRequested)
        {
            var ping = Task.Delay(options.WatchPingInterval, options.Time, ct);
            var done = await Task.WhenAny(next, ping).ConfigureAwait(false);
            LockWatchEvent item;
            if (done == next)
            {
                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                item = events.Current;
                next = events.MoveNextAsync().AsTask();
            }
            else
            {
                await ping.ConfigureAwait(false);
                if (!await service.IsHostRegisteredAsync(host, ct).ConfigureAwait(false))
                {
                    break; // removed with `ferryd admin hosts rm` while watching
                }

                item = new LockWatchEvent { Type = LockWatchEvent.Ping };
            }

            var line = JsonSerializer.SerializeToUtf8Bytes(item, AuthApiJsonContext.Default.LockWatchEvent);
            await body.WriteAsync(line, ct).ConfigureAwait(false);
            await body.WriteAsync(NewLine, ct).ConfigureAwait(false);
        }
    }

    private async Task AuditUploadAsync(HttpContext context)
    {
        var host = await CallerIdentity.RequireHostAsync(context, service).ConfigureAwait(false);
        // The body in one piece (bounded by the endpoint's limit): the reader's fast path, and the events' canonical
        // bytes can be stored as they came.
        using var body = await ApiResponses.ReadWholeBodyAsync(context).ConfigureAwait(false);
        List<AuditEvent>? events;
        var canonical = new List<ReadOnlyMemory<byte>>();
        try
        {
            // The hand-written reader: what the serializer's contract reads, at a fraction of its cost (the auth service
            // parses every statement of every agent). A null element is refused here (the contract reads it as null).
            events = AuditEventReader.ReadUpload(body.Memory, canonical);
        }
        catch (JsonException e)
        {
            throw AuthException.Malformed("body must be a JSON array of audit events: " + e.Message);
        }

        events ??= [];
        if (events.Any(e => string.IsNullOrEmpty(e.Id) || string.IsNullOrEmpty(e.Type)))
        {
            throw AuthException.Malformed("every audit event needs an id and a type");
        }

        // The fields the filter stamps, as they came: an event's bytes stay canonical only if the stamp changed nothing.
        var origin = new (string? Cluster, string? ServerId, string? AgentId)[events.Count];
        for (int i = 0; i < events.Count; i++)
        {
            origin[i] = (events[i].Cluster, events[i].ServerId, events[i].AgentId);
        }

        // Only what this host may report, with its own id as the source (never the one in the body).
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var (accepted, refused) = await service.FilterHostEventsAsync(host, events, address, context.RequestAborted).ConfigureAwait(false);
        var stored = accepted.Count == 0 ? 0 : await audit.Store.AppendAsync(accepted, KeptCanonical(events, canonical, origin, accepted), context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, new AuditUploadResponse { Received = events.Count, Stored = stored, Refused = refused }, AuthApiJsonContext.Default.AuditUploadResponse).ConfigureAwait(false);
    }

    /// <summary>
    /// The canonical bytes of each accepted event (an ordered subset of <paramref name="events"/>, the same objects)
    /// that the filter left as it was read; empty for the others, which the store writes again.
    /// </summary>
    internal static ReadOnlyMemory<byte>[] KeptCanonical(List<AuditEvent> events, List<ReadOnlyMemory<byte>> canonical,
        (string? Cluster, string? ServerId, string? AgentId)[] origin, List<AuditEvent> accepted)
    {
        var kept = new ReadOnlyMemory<byte>[accepted.Count];
        int i = 0;
        for (int a = 0; a < accepted.Count; a++)
        {
            while (!ReferenceEquals(events[i], accepted[a]))
            {
                i++;
            }

            AuditEvent e = accepted[a];
            if (origin[i] == (e.Cluster, e.ServerId, e.AgentId))
            {
                kept[a] = canonical[i];
            }
        }

        return kept;
    }

    private async Task AuditSearchAsync(HttpContext context)
    {
        var user = await CallerIdentity.RequireUserAsync(context, service).ConfigureAwait(false);
        await AuditReading.RequireAuditorAsync(service, user, context.RequestAborted).ConfigureAwait(false);
        var query = AuditSearchQuery.Parse(context.Request.Query, service.Now);
        var results = await AuditReading.SearchAsync(audit, query, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, results.ToList(), AuditJsonContext.Default.ListAuditEvent).ConfigureAwait(false);
    }

    private Task CaAsync(HttpContext context) =>
        ApiResponses.WriteAsync(context, service.GetCertificateAuthorities(), AuthApiJsonContext.Default.CaResponse);

    private async Task SsoConnectorsAsync(HttpContext context)
    {
        var connectors = await service.ListSsoConnectorInfoAsync(context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, connectors, AuthApiJsonContext.Default.ListSsoConnectorInfo).ConfigureAwait(false);
    }

    private async Task SsoLoginAsync(HttpContext context)
    {
        var connector = context.Request.RouteValues["connector"] as string ?? "";
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.SsoLoginRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.StartSsoLoginAsync(connector, request, address, context.RequestAborted).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.SsoLoginResponse).ConfigureAwait(false);
    }

    private async Task SsoResultAsync(HttpContext context)
    {
        var request = await ApiResponses.ReadAsync(context, AuthApiJsonContext.Default.SsoResultRequest).ConfigureAwait(false);
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        var response = await service.TakeSsoResultAsync(request, address).ConfigureAwait(false);
        await ApiResponses.WriteAsync(context, response, AuthApiJsonContext.Default.UserCertificateResponse).ConfigureAwait(false);
    }

    /// <summary>
    /// The provider's redirect (a browser): a 302 to the client's loopback listener with the outcome, or, when the
    /// login is unknown (replayed or expired state), a small page saying what to do. Never JSON, never a stack trace.
    /// </summary>
    private async Task SsoCallbackAsync(HttpContext context)
    {
        var q = context.Request.Query;
        var address = await CallerIdentity.ClientAddressAsync(context, service).ConfigureAwait(false);
        AuthService.SsoCallbackOutcome outcome;
        try
        {
            outcome = await service.CompleteSsoLoginAsync(Single(q, "state"), Single(q, "code"), Single(q, "error"), Single(q, "error_description"), address, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        context.Response.Headers["Content-Security-Policy"] = "default-src 'none'";
        if (outcome.RedirectUrl is { } url)
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = url;
            return;
        }

        context.Response.StatusCode = outcome.Status;
        context.Response.ContentType = "text/html; charset=utf-8";
        var message = System.Net.WebUtility.HtmlEncode(outcome.Message);
        await context.Response.WriteAsync(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Ferry login</title></head><body><h1>Ferry login</h1><p>" + message + "</p></body></html>\n",
            context.RequestAborted).ConfigureAwait(false);
    }

    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;
}
