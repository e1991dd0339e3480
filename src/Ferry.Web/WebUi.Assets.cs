using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Web;

public sealed partial class WebUi
{
    private void MapAssets(IEndpointRouteBuilder app)
    {
        app.MapGet("/", static context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = "/web/";
            return Task.CompletedTask;
        });
        // Routing ignores a trailing slash: "/web" and "/web/" are one route; the page needs the slash for its relative paths.
        app.MapGet("/web/", context =>
        {
            if (!context.Request.Path.Value!.EndsWith('/'))
            {
                context.Response.StatusCode = StatusCodes.Status302Found;
                context.Response.Headers.Location = "/web/";
                return Task.CompletedTask;
            }

            return ServeAsync(context, "index.html", immutable: false);
        });
        app.MapGet("/web/assets/{*file}", context => ServeAsync(context, "assets/" + (context.Request.RouteValues["file"] as string ?? ""), immutable: false));
    }

    private async Task ServeAsync(HttpContext context, string path, bool immutable)
    {
        if (!_assets.IsBuilt)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("web assets were not built (run scripts/build)\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (path.Contains("..", StringComparison.Ordinal) || _assets.Find(path) is not { } bytes)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("not found\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = WebAssets.ContentType(path);
        context.Response.Headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "no-cache";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
