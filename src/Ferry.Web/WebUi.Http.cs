using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Diagnostics;
using Ferry.Web.Consoles;
using Ferry.Web.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Web;

public sealed partial class WebUi
{
    /// <summary>
    /// Runs a web API handler: the body limit, then every refusal as <c>{"error","code"}</c> with its status, never a
    /// stack trace. With <paramref name="session"/> the request needs a live web session (401) and, unless GET/HEAD,
    /// the CSRF header (403 <c>csrf</c>).
    /// </summary>
    /// <summary>The largest refused body the server still reads (and drops) so that the client gets its 413 answer.</summary>
    private const long DrainBytes = 1024 * 1024;

    private RequestDelegate Api(Func<HttpContext, WebSession?, Task> handler, bool session = true, long? maxBody = null) => async context =>
    {
        var limit = maxBody ?? 64 * 1024;
        try
        {
            var size = context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature ? feature : null;
            if (size is not null)
            {
                size.MaxRequestBodySize = limit;
            }

            if (context.Request.ContentLength is { } length && length > limit)
            {
                // The body is never read. Up to DrainBytes the server reads and drops it after the answer, keeping the
                // connection; closed with the body unread, the socket would be reset at once, and the reset can
                // overtake the 413 (the browser then sees a network error, not what was wrong). Beyond, it closes.
                if (size is not null && length <= DrainBytes)
                {
                    size.MaxRequestBodySize = length;
                }
                else
                {
                    context.Response.Headers.Connection = "close";
                }

                throw new WebApiException(413, "too_large", $"request body is larger than this endpoint accepts ({limit} bytes)");
            }

            WebSession? current = null;
            if (session)
            {
                current = RequireSession(context);
            }

            await handler(context, current).ConfigureAwait(false);
        }
        catch (WebApiException e) when (!context.Response.HasStarted)
        {
            await ErrorAsync(context, e.Status, e.Code, e.Message, e.RetryAfter).ConfigureAwait(false);
        }
        catch (ConsoleClosedException e) when (!context.Response.HasStarted)
        {
            await ErrorAsync(context, 409, "console_closed", "the console is closed: " + e.Message + "; open a new one").ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var status = e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400;
            await ErrorAsync(context, status, status == 413 ? "too_large" : "bad_request", status == 413
                ? string.Create(CultureInfo.InvariantCulture, $"request body is larger than this endpoint accepts ({limit} bytes)")
                : "bad request: " + e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            WebLog.InternalError(_log, context.Request.Method, context.Request.Path.Value ?? "", e.GetType().Name + ": " + e.Message);
            await ErrorAsync(context, 500, "internal", "internal error: see the auth service's log").ConfigureAwait(false);
        }
    };

    private WebSession RequireSession(HttpContext context)
    {
        var session = Sessions.Find(context.Request.Cookies[CookieName], out var reason);
        if (session is null)
        {
            Refuse(context, "no_session", null);
            ClearCookie(context);
            throw new WebApiException(401, "unauthorized", reason switch
            {
                "idle" => "your web session ended after being idle: sign in again",
                "expired" => "your web session has expired: sign in again",
                _ => "sign in first: no web session",
            });
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
            && !session.CsrfMatches(context.Request.Headers[CsrfHeader].Count == 1 ? context.Request.Headers[CsrfHeader][0] : null))
        {
            Refuse(context, "csrf", session.User);
            throw new WebApiException(403, "csrf", $"missing or wrong {CsrfHeader} header: reload the page");
        }

        return session;
    }

    private void Refuse(HttpContext context, string reason, string? user)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Web, reason);
        var source = ClientAddress(context);
        WebLog.RequestRefused(_log, context.Request.Method, Bounded(context.Request.Path.Value ?? ""), source, reason);
        if (reason == "csrf")
        {
            _refusals.Record(reason, source, user ?? "", "web request without a valid CSRF token");
        }
    }

    internal static string ClientAddress(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        if (ip is { IsIPv4MappedToIPv6: true })
        {
            ip = ip.MapToIPv4();
        }

        return ip?.ToString() ?? "unknown";
    }

    private static void SetCookie(HttpContext context, string value) =>
        context.Response.Headers.Append("Set-Cookie", $"{CookieName}={value}; Path=/; Secure; HttpOnly; SameSite=Strict");

    private static void ClearCookie(HttpContext context) =>
        context.Response.Headers.Append("Set-Cookie", $"{CookieName}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");

    private static async Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message, TimeSpan? retryAfter = null)
    {
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteAsync(context, new WebError { Error = message, Code = code }, WebJsonContext.Default.WebError, status);
    }

    private static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false)
                ?? throw WebApiException.BadRequest("request body is empty: send a JSON object");
        }
        catch (JsonException e)
        {
            throw WebApiException.BadRequest("request body is not valid JSON for this endpoint: " + e.Message);
        }
    }

    internal static string Bounded(string value) => value.Length <= 200 ? value : value[..200];
}
