using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ferry.Auth.Backend;

/// <summary>Typed JSON helpers over <see cref="IBackend"/> (source-generated type info only).</summary>
public static class BackendJson
{
    public static async ValueTask<T?> GetAsync<T>(this IBackend backend, string key, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
        where T : class
    {
        var item = await backend.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return item is null ? null : JsonSerializer.Deserialize(item.Value, type);
    }

    public static async ValueTask<(T Value, long Revision)?> GetWithRevisionAsync<T>(this IBackend backend, string key, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
        where T : class
    {
        var item = await backend.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return item is null ? null : (JsonSerializer.Deserialize(item.Value, type)!, item.Revision);
    }

    public static ValueTask<long> PutAsync<T>(this IBackend backend, string key, T value, JsonTypeInfo<T> type, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        backend.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, type), ttl, cancellationToken);

    public static ValueTask<long?> CompareAndSwapAsync<T>(this IBackend backend, string key, long expectedRevision, T value, JsonTypeInfo<T> type, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        backend.CompareAndSwapAsync(key, expectedRevision, JsonSerializer.SerializeToUtf8Bytes(value, type), ttl, cancellationToken);

    public static async ValueTask<List<T>> RangeAsync<T>(this IBackend backend, string prefix, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
    {
        var items = await backend.RangeAsync(prefix, cancellationToken).ConfigureAwait(false);
        return items.Select(i => JsonSerializer.Deserialize(i.Value, type)!).ToList();
    }
}
