using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
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

    /// <summary>
    /// Reads the whole body, then deserialises it in one synchronous pass: cheaper than the resumable async path for a
    /// body that ends up whole in memory anyway (every API body; audit uploads are the large ones). The endpoint's body limit bounds what is buffered:
    /// Kestrel refuses a longer body while it is read. Anything after the one JSON value is an error, as it is for
    /// <see cref="JsonSerializer.DeserializeAsync{TValue}(Stream, JsonTypeInfo{TValue}, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="JsonException">The body is not one JSON value of <typeparamref name="T"/>.</exception>
    public static Task<T?> ReadWholeAsync<T>(HttpContext context, JsonTypeInfo<T> type) =>
        ReadWholeAsync(context, body => DeserializeOne(body, type));

    /// <summary>Reads the whole body, then hands it to <paramref name="parse"/> (which throws <see cref="JsonException"/> on a bad one).</summary>
    public static async Task<T?> ReadWholeAsync<T>(HttpContext context, Func<ReadOnlySequence<byte>, T?> parse)
    {
        PipeReader body = context.Request.BodyReader;
        while (true)
        {
            ReadResult read = await body.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (!read.IsCompleted)
            {
                body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                continue;
            }

            try
            {
                return parse(read.Buffer);
            }
            finally
            {
                body.AdvanceTo(read.Buffer.End);
            }
        }
    }

    /// <summary>
    /// Reads the whole body (bounded by the endpoint's limit) into one pooled array, returned to the pool on dispose.
    /// </summary>
    public static Task<PooledBody> ReadWholeBodyAsync(HttpContext context) =>
        ReadWholeAsync(context, static body => PooledBody.CopyOf(body))!;

    private static T? DeserializeOne<T>(in ReadOnlySequence<byte> json, JsonTypeInfo<T> type)
    {
        JsonSerializerOptions options = type.Options;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth,
        });
        T? value = JsonSerializer.Deserialize(ref reader, type);
        if (reader.Read())
        {
            throw new JsonException("unexpected data after the JSON value");
        }

        return value;
    }

    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return await ReadWholeAsync(context, type).ConfigureAwait(false)
                ?? throw AuthException.Malformed("request body is empty: send a JSON object");
        }
        catch (JsonException e)
        {
            throw AuthException.Malformed("request body is not valid JSON for this endpoint: " + e.Message);
        }
    }
}

/// <summary>A request body copied whole into an array rented from the shared pool; <see cref="Dispose"/> returns it.</summary>
internal sealed class PooledBody : IDisposable
{
    private byte[]? _array;
    private readonly int _length;

    private PooledBody(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>The body's bytes (valid until disposed).</summary>
    public ReadOnlyMemory<byte> Memory => _array is { } a ? a.AsMemory(0, _length) : throw new ObjectDisposedException(nameof(PooledBody));

    public static PooledBody CopyOf(in ReadOnlySequence<byte> bytes)
    {
        int length = checked((int)bytes.Length);
        byte[] array = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        bytes.CopyTo(array);
        return new PooledBody(array, length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } a)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(a);
        }
    }
}
