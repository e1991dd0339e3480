using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization;
using Ferry.Auth.Backend;

namespace Ferry.Auth.Users;

/// <summary>
/// Failed-login throttle kept in the backend (<c>/throttle/…</c>, each entry a lease that expires
/// <see cref="LoginThrottleOptions.ForgetAfter"/> after its last failure), so a restart does not reset it and
/// auth servers sharing a backend share it. Buckets and policy: <see cref="LoginThrottleOptions"/>.
/// </summary>
internal sealed class LoginThrottle(IBackend backend, TimeProvider time, LoginThrottleOptions options)
{
    public const string Prefix = "/throttle/";
    private const int SwapAttempts = 4;

    /// <summary>How long <paramref name="source"/> must wait before trying <paramref name="user"/>, or null when it may try now.</summary>
    public async ValueTask<TimeSpan?> RetryAfterAsync(string user, string source, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var pair = await ReadAsync(PairKey(user, source), ct).ConfigureAwait(false);
        var bySource = await ReadAsync(SourceKey(source), ct).ConfigureAwait(false);
        var wait = Max(Remaining(pair?.Entry, now), Remaining(bySource?.Entry, now));
        var dirty = pair?.Entry.Failures > 0 || bySource?.Entry.Failures > 0;
        if (dirty)
        {
            // The per-user cap never refuses a source with a clean record.
            var byUser = await ReadAsync(UserKey(user), ct).ConfigureAwait(false);
            wait = Max(wait, Remaining(byUser?.Entry, now));
        }

        return wait;
    }

    public async ValueTask RecordFailureAsync(string user, string source, CancellationToken ct = default)
    {
        await FailAsync(PairKey(user, source), options.FreeFailuresPerUserAndSource, options.MaxLockout, ct).ConfigureAwait(false);
        await FailAsync(SourceKey(source), options.FreeFailuresPerSource, options.MaxLockout, ct).ConfigureAwait(false);
        await FailAsync(UserKey(user), options.FreeFailuresPerUser, options.MaxUserLockout, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A successful login clears the (user, source) counter; not the source's (one valid account must not reset a
    /// spraying source) nor the user's (the owner logging in must not reset a distributed guesser).
    /// </summary>
    public async ValueTask RecordSuccessAsync(string user, string source, CancellationToken ct = default) =>
        await backend.DeleteAsync(PairKey(user, source), ct).ConfigureAwait(false);

    /// <summary>The bucket text for a client address: IPv4 as is, IPv6 by its /64 (one host usually holds a whole /64).</summary>
    public static string SourceOf(string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return address.Length <= 64 ? address : address[..64];
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return ip.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes) + "/64";
    }

    private async ValueTask FailAsync(string key, int free, TimeSpan max, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = time.GetUtcNow();
            var current = await ReadAsync(key, ct).ConfigureAwait(false);
            var entry = current is { } c && now - c.Entry.LastFailure <= options.ForgetAfter ? c.Entry : new ThrottleEntry();
            entry.Failures++;
            entry.LastFailure = now;
            var extra = entry.Failures - free;
            if (extra >= 0)
            {
                var seconds = options.BaseLockout.TotalSeconds * Math.Pow(2, Math.Min(extra, 30));
                entry.LockedUntil = now + TimeSpan.FromSeconds(Math.Min(seconds, max.TotalSeconds));
            }

            var lease = (entry.LockedUntil > now ? entry.LockedUntil - now : TimeSpan.Zero) + options.ForgetAfter;
            if (attempt == SwapAttempts - 1)
            {
                await backend.PutAsync(key, entry, ThrottleJsonContext.Default.ThrottleEntry, lease, ct).ConfigureAwait(false);
                return;
            }

            var swapped = await backend.CompareAndSwapAsync(key, current?.Revision ?? 0, entry, ThrottleJsonContext.Default.ThrottleEntry, lease, ct).ConfigureAwait(false);
            if (swapped is not null)
            {
                return;
            }
        }
    }

    private async ValueTask<(ThrottleEntry Entry, long Revision)?> ReadAsync(string key, CancellationToken ct) =>
        await backend.GetWithRevisionAsync(key, ThrottleJsonContext.Default.ThrottleEntry, ct).ConfigureAwait(false);

    private static TimeSpan? Remaining(ThrottleEntry? entry, DateTimeOffset now) =>
        entry is not null && entry.LockedUntil > now ? entry.LockedUntil - now : null;

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    private static string PairKey(string user, string source) => Prefix + "pair/" + source + "/" + user;

    private static string SourceKey(string source) => Prefix + "source/" + source;

    private static string UserKey(string user) => Prefix + "user/" + user;
}

/// <summary>One throttle bucket as stored in the backend.</summary>
internal sealed class ThrottleEntry
{
    public int Failures { get; set; }

    public DateTimeOffset LastFailure { get; set; }

    public DateTimeOffset LockedUntil { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ThrottleEntry))]
internal sealed partial class ThrottleJsonContext : JsonSerializerContext;
