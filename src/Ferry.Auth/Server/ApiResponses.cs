using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Contracts;
using Microsoft.AspNetCore.Http;

namespace Ferry.Auth.Server;

/// <summary>Writes JSON bodies and errors with source-generated type info only.</summary>
internal static class ApiResponses
{
    public static async Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task ErrorAsync(HttpContext context, int status, string message, TimeSpan? retryAfter = null)
    {
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteAsync(context, new ErrorResponse { Error = message }, AuthApiJsonContext.Default.ErrorResponse, status);
    }

    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false)
                ?? throw AuthException.BadRequest("request body is empty: send a JSON object");
        }
        catch (JsonException e)
        {
            throw AuthException.BadRequest("request body is not valid JSON for this endpoint: " + e.Message);
        }
    }
}
